import { createHash, hash } from 'node:crypto';
import type { ApiEvent } from './normalize';

/**
 * Integrity, the pure part: RFC 8785 canonical JSON, RFC 6962/9162 Merkle
 * tree hashing, inclusion and consistency proofs, and their verification.
 * Used by the sealer, the API and the offline verifier alike.
 */

/** RFC 8785 (JCS): keys sorted by UTF-16 code units, no white space, ES number and string forms. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('canonical JSON has no form for a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new Error(`canonical JSON has no form for ${typeof value}`);
}

const sha256 = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const NODE = Buffer.from([1]);

/**
 * Which fields a leaf covers. 1: the event's stored fields as they were
 * first sealed; 2 (every leaf sealed since provenance): those plus `source`
 * and `api_key_id`, so who wrote an entry cannot be changed either.
 * Each leaf records its version.
 */
export type LeafVersion = 1 | 2;
export const LEAF_VERSION: LeafVersion = 2;

/** The fields of an event that are sealed: everything it stores, as the API and NDJSON exports show it. */
export function sealedFields(e: ApiEvent, version: LeafVersion = LEAF_VERSION): Record<string, unknown> {
  const v1 = {
    id: e.id,
    account_id: e.account_id,
    workspace_id: e.workspace_id,
    action: e.action,
    category: e.category,
    occurred_at: e.occurred_at,
    received_at: e.received_at,
    actor_type: e.actor_type,
    actor_id: e.actor_id,
    actor_email: e.actor_email,
    actor_name: e.actor_name,
    target_type: e.target_type,
    target_id: e.target_id,
    target_name: e.target_name,
    ip: e.ip,
    user_agent: e.user_agent,
    outcome: e.outcome,
    metadata: e.metadata,
    changes: e.changes,
  };
  return version === 1 ? v1 : { ...v1, source: e.source, api_key_id: e.api_key_id };
}

const str = (v: string | null | undefined) => (v === null || v === undefined ? 'null' : JSON.stringify(v));
const json = (v: unknown) => (v === null || v === undefined ? 'null' : canonicalJson(v));

/**
 * canonicalJson(sealedFields(e, version)) written out with the keys already
 * in their sorted order: the same bytes (a unit test holds them equal) at a
 * fraction of the cost, since verification hashes every event of a log.
 */
export function canonicalEvent(e: ApiEvent, version: LeafVersion = LEAF_VERSION): string {
  const v2 = version === 2;
  return (
    `{"account_id":${str(e.account_id)},"action":${str(e.action)},"actor_email":${str(e.actor_email)},"actor_id":${str(e.actor_id)},` +
    `"actor_name":${str(e.actor_name)},"actor_type":${str(e.actor_type)},${v2 ? `"api_key_id":${str(e.api_key_id)},` : ''}"category":${str(e.category)},"changes":${json(e.changes)},` +
    `"id":${str(e.id)},"ip":${str(e.ip)},"metadata":${json(e.metadata)},"occurred_at":${str(e.occurred_at)},"outcome":${str(e.outcome)},` +
    `"received_at":${str(e.received_at)},${v2 ? `"source":${str(e.source)},` : ''}"target_id":${str(e.target_id)},"target_name":${str(e.target_name)},"target_type":${str(e.target_type)},` +
    `"user_agent":${str(e.user_agent)},"workspace_id":${str(e.workspace_id)}}`
  );
}

/** What a leaf hash covers: 0x00 ‖ the canonical JSON (U+0000 is the single byte 0x00 in UTF-8). */
const leafInput = (e: ApiEvent, version: LeafVersion) => `\u0000${canonicalEvent(e, version)}`;

/**
 * Leaf hash: SHA-256(0x00 ‖ canonical JSON of the event's sealed fields).
 * One-shot hashing of the string: half the cost of a Hash object per event.
 */
export function leafHash(e: ApiEvent, version: LeafVersion = LEAF_VERSION): Buffer {
  return hash('sha256', leafInput(e, version), 'buffer');
}

/** The leaf hash in hex, for comparing with a hash PostgreSQL sends as text. */
export function leafHashHex(e: ApiEvent, version: LeafVersion = LEAF_VERSION): string {
  return hash('sha256', leafInput(e, version), 'hex');
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return hash('sha256', Buffer.concat([NODE, left, right], 65), 'buffer');
}

/** The hash of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT = sha256();

/** Largest power of two strictly less than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over leaf hashes, RFC 6962 §2.1: the perfect subtrees of n's binary form, folded from the right. */
export function merkleRoot(leaves: Buffer[]): Buffer {
  const f = new MerkleFrontier();
  for (const l of leaves) f.append(l);
  return f.root();
}

/**
 * The right edge of a tree: the roots of its perfect subtrees, largest
 * first. Appending a leaf and taking the root are O(log n) from it, so the
 * sealer never rereads old leaves.
 */
export class MerkleFrontier {
  constructor(
    public size = 0,
    /** Roots of the perfect subtrees, largest (leftmost) first. */
    public nodes: Buffer[] = [],
  ) {}

  append(leaf: Buffer): void {
    let node = leaf;
    let size = this.size;
    // Merge equal-sized subtrees while the lowest bit of size is set.
    while (size & 1) {
      node = nodeHash(this.nodes.pop() as Buffer, node);
      size >>= 1;
    }
    this.nodes.push(node);
    this.size += 1;
  }

  root(): Buffer {
    if (this.size === 0) return EMPTY_ROOT;
    let acc = this.nodes[this.nodes.length - 1];
    for (let i = this.nodes.length - 2; i >= 0; i--) acc = nodeHash(this.nodes[i], acc);
    return acc;
  }
}

/** Inclusion proof of leaf m in the tree of the first n leaves, RFC 6962 §2.1.1 (PATH). */
export function inclusionProof(leaves: Buffer[], m: number, n = leaves.length): Buffer[] {
  if (m < 0 || m >= n || n > leaves.length) throw new Error('leaf index outside the tree');
  const path = (lo: number, hi: number, idx: number): Buffer[] => {
    const size = hi - lo;
    if (size === 1) return [];
    const k = split(size);
    if (idx < k) return [...path(lo, lo + k, idx), merkleRoot(leaves.slice(lo + k, hi))];
    return [...path(lo + k, hi, idx - k), merkleRoot(leaves.slice(lo, lo + k))];
  };
  return path(0, n, m);
}

/** Recompute the root from a leaf and its inclusion proof (RFC 9162 §2.1.3.2). */
export function rootFromInclusion(leaf: Buffer, index: number, size: number, proof: Buffer[]): Buffer | null {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn & 1 || fn === sn) {
      r = nodeHash(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 ? r : null;
}

/** Consistency proof between the trees of the first m and first n leaves, RFC 6962 §2.1.2 (PROOF). */
export function consistencyProof(leaves: Buffer[], m: number, n = leaves.length): Buffer[] {
  if (m <= 0 || m > n || n > leaves.length) throw new Error('tree sizes out of range');
  const subproof = (mm: number, lo: number, hi: number, complete: boolean): Buffer[] => {
    const size = hi - lo;
    if (mm === size) return complete ? [] : [merkleRoot(leaves.slice(lo, hi))];
    const k = split(size);
    if (mm <= k) return [...subproof(mm, lo, lo + k, complete), merkleRoot(leaves.slice(lo + k, hi))];
    return [...subproof(mm - k, lo + k, hi, false), merkleRoot(leaves.slice(lo, lo + k))];
  };
  return m === n ? [] : subproof(m, 0, n, true);
}

/** Check a consistency proof (RFC 9162 §2.1.4.2). */
export function verifyConsistency(m: number, n: number, firstRoot: Buffer, secondRoot: Buffer, proof: Buffer[]): boolean {
  if (m === n) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (m <= 0 || m > n || proof.length === 0) return false;
  const path = [...proof];
  if ((m & (m - 1)) === 0) path.unshift(firstRoot);
  let fn = m - 1;
  let sn = n - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn & 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

/** What a checkpoint signs: canonical JSON of these fields. */
export interface CheckpointBody {
  log_id: string;
  account_id: string;
  workspace_id: string | null;
  tree_size: number;
  root_hash: string;
  timestamp: string;
  previous_hash: string | null;
  key_id: string;
  /** Set on the checkpoint a retention purge writes first: events that occurred before this may be gone. */
  purge_before?: string | null;
}

export function checkpointHash(body: CheckpointBody): string {
  return sha256(Buffer.from(canonicalJson(body), 'utf8')).toString('hex');
}
