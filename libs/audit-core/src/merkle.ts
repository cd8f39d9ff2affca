import { createHash, hash } from 'node:crypto';
import type { ApiEvent } from './normalize';

/**
 * Integrity, the pure part: RFC 8785 canonical JSON, RFC 6962/9162 Merkle
 * tree hashing, inclusion and consistency proofs, and their verification.
 * Used by the sealer, the API and the offline verifier alike.
 */

/**
 * RFC 8785 (JCS): keys sorted by UTF-16 code units, no white space, ES number
 * and string forms. Written as a loop with `+=` and the default sort (which
 * compares UTF-16 code units, as JCS asks): verification canonicalises every
 * event's metadata, so no array of entries is made per object.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error('canonical JSON has no form for a non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const v: unknown = value[i];
          out += v === undefined ? 'null' : canonicalJson(v);
        }
        return `${out}]`;
      }
      const o = value as Record<string, unknown>;
      const keys = Object.keys(o).sort();
      let out = '{';
      for (const k of keys) {
        const v = o[k];
        if (v === undefined) continue;
        if (out.length > 1) out += ',';
        out += `${JSON.stringify(k)}:${canonicalJson(v)}`;
      }
      return `${out}}`;
    }
    default:
      throw new Error(`canonical JSON has no form for ${typeof value}`);
  }
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

/**
 * The sealed fields of version 2 in their canonical (sorted) order. A reader
 * that selects exactly these values, in this order, hashes a row without
 * making an event object (verification does, for every event of a log).
 * Version 1 has neither `api_key_id` nor `source`.
 */
export const SEALED_KEYS = [
  'account_id', 'action', 'actor_email', 'actor_id', 'actor_name', 'actor_type', 'api_key_id', 'category', 'changes', 'id', 'ip',
  'metadata', 'occurred_at', 'outcome', 'received_at', 'source', 'target_id', 'target_name', 'target_type', 'user_agent', 'workspace_id',
] as const satisfies readonly (keyof ApiEvent)[];
export type SealedKey = (typeof SEALED_KEYS)[number];

/** What comes before each value in the canonical text: `{"account_id":`, then `,"action":`, …. */
export const SEALED_KEY_PREFIX: readonly string[] = SEALED_KEYS.map((k, i) => `${i === 0 ? '{' : ','}${JSON.stringify(k)}:`);
/** The sealed fields version 1 leaves do not cover. */
const SEALED_V2_ONLY: ReadonlySet<SealedKey> = new Set<SealedKey>(['api_key_id', 'source']);
/** Per SEALED_KEYS index: whether version 1 leaves leave that key out. */
export const SEALED_V2_ONLY_AT: readonly boolean[] = SEALED_KEYS.map((k) => SEALED_V2_ONLY.has(k));
const JSON_VALUED = SEALED_KEYS.map((k) => k === 'changes' || k === 'metadata');

/**
 * The canonical JSON of an event's sealed fields from their values in
 * SEALED_KEYS order (strings, null, and the two JSON values `changes` and
 * `metadata`): canonicalJson(sealedFields(e, version)), byte for byte (unit
 * and property tests hold them equal).
 */
export function canonicalSealedValues(values: ArrayLike<unknown>, version: LeafVersion = LEAF_VERSION): string {
  let out = '';
  for (let i = 0; i < SEALED_KEYS.length; i++) {
    if (version === 1 && SEALED_V2_ONLY_AT[i]) continue;
    const v = values[i];
    out += SEALED_KEY_PREFIX[i];
    if (v === null || v === undefined) out += 'null';
    else out += JSON_VALUED[i] ? canonicalJson(v) : JSON.stringify(v);
  }
  return `${out}}`;
}

/** canonicalJson(sealedFields(e, version)): what a leaf of this event covers. */
export function canonicalEvent(e: ApiEvent, version: LeafVersion = LEAF_VERSION): string {
  return canonicalSealedValues(
    SEALED_KEYS.map((k) => e[k]),
    version,
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

/** The leaf hash in hex of an event given as its values in SEALED_KEYS order. */
export function leafHashHexOfValues(values: ArrayLike<unknown>, version: LeafVersion = LEAF_VERSION): string {
  return hash('sha256', `\u0000${canonicalSealedValues(values, version)}`, 'hex');
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
