import { type CheckpointBody, checkpointHash, consistencyProof, inclusionProof, MerkleFrontier } from '@audit-trail/audit-core';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  anomaliesIn,
  checkpointChain,
  checkpointCovering,
  type CheckpointRow,
  checkpointsById,
  type Database,
  eventExists,
  exportSnapshot,
  integrityLogHead,
  leafEventAt,
  leafHashesBelow,
  leafOfEvent,
  copyLeaves,
  int8At,
} from '@audit-trail/data';
import { type LogRef, logIdOf } from './sealer';
import { verifyCheckpointSignature } from './signing';
import { type BadEvent, checkPairs, type PairsArgs, type PairsResult } from './verify-pairs';

export type { BadEvent } from './verify-pairs';


/** The body a checkpoint row's signature covers. */
export function checkpointBody(r: CheckpointRow): CheckpointBody {
  return {
    log_id: r.log_id,
    account_id: r.account_id,
    workspace_id: r.workspace_id,
    tree_size: Number(r.tree_size),
    root_hash: r.root_hash,
    timestamp: r.created_at.toISOString(),
    previous_hash: r.previous_hash,
    key_id: r.key_id,
    ...(r.purge_before ? { purge_before: r.purge_before.toISOString() } : {}),
  };
}

export function checkpointView(r: CheckpointRow) {
  return { ...checkpointBody(r), id: r.id, hash: r.hash, signature: r.signature, scope: r.workspace_id ? 'workspace' : 'account' };
}

/**
 * The chain of a log's checkpoints, oldest first: each signed by a published
 * key, matching its recorded hash, and naming the one before it. What breaks
 * is reported per checkpoint.
 */
export function checkCheckpointChain(checkpoints: CheckpointRow[], keys: Map<string, string>): BadEvent[] {
  const found: BadEvent[] = [];
  const at = (cp: CheckpointRow, reason: string) => found.push({ event_id: null, seq: Number(cp.tree_size), occurred_at: null, reason });
  let prevHash: string | null = null;
  for (const cp of checkpoints) {
    const body = checkpointBody(cp);
    const key = keys.get(cp.key_id);
    if (!key || !verifyCheckpointSignature(key, body, cp.signature)) at(cp, `checkpoint ${cp.id} (size ${cp.tree_size}) has no valid signature from a published key`);
    else if (checkpointHash(body) !== cp.hash) at(cp, `checkpoint ${cp.id} does not match its recorded hash`);
    if (cp.previous_hash !== prevHash) at(cp, `checkpoint ${cp.id} does not follow the previous checkpoint: one was removed or replaced`);
    prevHash = cp.hash;
  }
  return found;
}

export interface VerifyResult {
  /** Nothing wrong in what is sealed (events not sealed yet are not judged). */
  ok: boolean;
  /** Sealed events of the range recomputed against their leaves. */
  checked: number;
  /** Events of the range not sealed yet: not protected yet, and not counted as checked. */
  pending: number;
  sealed: number;
  checkpoints: number;
  first_bad: BadEvent | null;
  problems: number;
}

/** The compiled worker entry, beside this file or (running from sources) in the build. */
function workerFile(): string | null {
  for (const f of [join(__dirname, 'verify-worker.js'), resolve(__dirname, '../../dist/integrity/verify-worker.js')]) if (existsSync(f)) return f;
  return null;
}

/** Check the pairs on a worker thread; null when it could not (the caller then checks them itself). */
function pairsOnWorker(file: string, url: string, snapshot: string, args: PairsArgs): { result: Promise<PairsResult | null>; stop: () => void } {
  const worker = new Worker(file, { workerData: { url, snapshot, args } });
  const result = new Promise<PairsResult | null>((done) => {
    worker.once('message', (m: { ok: boolean; result?: PairsResult }) => done(m.ok && m.result ? m.result : null));
    worker.once('error', () => done(null));
    worker.once('exit', () => done(null));
  });
  return { result, stop: () => void worker.terminate() };
}

/**
 * Verify a log against its signed checkpoints and its events, as they are
 * in the database now. Three passes, all streamed:
 *  1. the checkpoint chain: each signed with a published key, each naming its
 *     predecessor's hash (a deleted checkpoint breaks the chain);
 *  2. the leaves in order: positions without a gap, and the Merkle root at
 *     every checkpoint's size equal to the signed root;
 *  3. the events of [from, to] against their leaves, joined by id in
 *     PostgreSQL: a changed event no longer hashes to its leaf, a deleted one
 *     has a leaf and no row (unless a purge checkpoint allows it), and a row
 *     written into sealed history has no leaf although the sealer has passed it.
 * The first bad event is the earliest by occurred_at.
 */
export async function verifyLog(
  db: Database,
  keys: Map<string, string>,
  ref: LogRef,
  range: { from?: Date; to?: Date } = {},
  opts: { workerThread?: boolean } = {},
): Promise<VerifyResult> {
  const logId = logIdOf(ref);
  const from = range.from ?? new Date(0);
  const to = range.to ?? new Date('9999-12-31T23:59:59.999Z');
  const problems: BadEvent[] = [];
  const bad = (b: BadEvent) => problems.push(b);
  let checked = 0;
  let pending = 0;
  let sealed = 0;
  let checkpointsCount = 0;
  // The worker thread, once started inside the transaction below; stopped whatever happens.
  const side: { other: ReturnType<typeof pairsOnWorker> | null } = { other: null };
  try {
    await db.tenant(
      ref.accountId,
      async (client) => {
        const log = await integrityLogHead(client, logId);
        const cursor = log?.cursor_txid ? { txid: log.cursor_txid, id: log.cursor_id } : null;
        const args = { accountId: ref.accountId, workspaceId: ref.workspaceId, logId, from: from.toISOString(), to: to.toISOString(), cursor };
        // Leaves and events are paired on a worker thread in this snapshot (one
        // join, one stream to hash) while this thread checks everything else.
        const file = opts.workerThread === false ? null : workerFile();
        if (file) side.other = pairsOnWorker(file, db.url, await exportSnapshot(client), args);
        const checkpoints = await checkpointChain(client, logId);
        checkpointsCount = checkpoints.length;

        // 1. The chain of checkpoints.
        for (const b of checkCheckpointChain(checkpoints, keys)) bad(b);

        // 2. Leaves in order: contiguous positions, and the root at each checkpoint's size.
        const bySize = new Map<number, CheckpointRow[]>();
        for (const cp of checkpoints) bySize.set(Number(cp.tree_size), [...(bySize.get(Number(cp.tree_size)) ?? []), cp]);
        const frontier = new MerkleFrontier();
        const checkRoots = () => {
          for (const cp of bySize.get(frontier.size) ?? []) {
            if (frontier.root().toString('hex') !== cp.root_hash) bad({ event_id: null, seq: frontier.size, occurred_at: null, reason: `the leaves no longer produce the root signed in checkpoint ${cp.id} (size ${cp.tree_size})` });
          }
        };
        checkRoots();
        // Only positions and hashes, read in place from binary COPY rows; the
        // event id is looked up for the rare gap, after the walk.
        const gaps: { at: number; seq: number }[] = [];
        await copyLeaves(client, logId, ({ buf, start }) => {
          const seq = int8At(buf, start[0]);
          if (seq !== frontier.size) {
            gaps.push({ at: frontier.size, seq });
            while (frontier.size < seq) frontier.append(Buffer.alloc(32));
          }
          // The frontier may keep this leaf: a copy, since the row's bytes are reused.
          frontier.append(Buffer.from(buf.subarray(start[1], start[1] + 32)));
          sealed++;
          checkRoots();
        });
        for (const g of gaps) bad({ event_id: await leafEventAt(client, logId, g.seq), seq: g.at, occurred_at: null, reason: `sealed position ${g.at} is missing` });
        if (log && frontier.size !== Number(log.tree_size)) bad({ event_id: null, seq: frontier.size, occurred_at: null, reason: `the log says ${log.tree_size} events are sealed, but ${frontier.size} leaves exist` });

        // 3. Events against leaves, matched by PostgreSQL (a hash join, no order
        // needed). Rows the sealer refused are reported with its reason.
        const anomalies = await anomaliesIn(client, logId, from.toISOString(), to.toISOString());
        const refused = new Set(anomalies.map((a) => a.event_id));
        for (const a of anomalies) bad({ event_id: a.event_id, seq: null, occurred_at: a.occurred_at.toISOString(), reason: a.reason });
        // The pairs, from the worker thread, or checked here when it could not.
        const pairs = (await side.other?.result) ?? (await checkPairs(client, args));
        checked += pairs.checked;
        for (const b of pairs.bad) bad(b);
        // Events of the range without a leaf in it: not sealed yet, or written into sealed history.
        pending += pairs.pending;
        for (const e of pairs.behind) {
          if (!refused.has(e.event_id)) bad({ event_id: e.event_id, seq: null, occurred_at: e.occurred_at, reason: 'this event is not sealed although the log was sealed past it: it was written into sealed history' });
        }
        // Leaves without their event: deleted, unless a purge checkpoint covers them.
        const purges = checkpoints.filter((cp) => cp.purge_before);
        for (const leaf of pairs.missing) {
          const purged = purges.some((cp) => leaf.seq < Number(cp.tree_size) && Date.parse(leaf.occurred_at) < (cp.purge_before as Date).getTime());
          if (purged) continue;
          // Moved rather than deleted? Look for the id anywhere in the account.
          const moved = await eventExists(client, ref.accountId, leaf.event_id);
          bad({
            event_id: leaf.event_id,
            seq: leaf.seq,
            occurred_at: leaf.occurred_at,
            reason: moved ? 'this event was changed after it was sealed (its time or log was altered)' : 'this sealed event was deleted',
          });
        }
      },
      { isolation: 'repeatable read', readOnly: true },
    );
  } finally {
    side.other?.stop();
  }
  problems.sort((a, b) => (a.occurred_at ?? '').localeCompare(b.occurred_at ?? '') || (a.seq ?? 0) - (b.seq ?? 0));
  return { ok: problems.length === 0, checked, pending, sealed, checkpoints: checkpointsCount, first_bad: problems[0] ?? null, problems: problems.length };
}

const leavesUpTo = leafHashesBelow;

/** An inclusion proof of one event to the newest checkpoint that covers it, or null when it is not sealed in a checkpoint yet. */
export async function proveInclusion(db: Database, accountId: string, eventId: string) {
  return db.tenant(accountId, async (c) => {
    const leaf = await leafOfEvent(c, accountId, eventId);
    if (!leaf) return null;
    const cp = await checkpointCovering(c, leaf.log_id, leaf.seq);
    if (!cp) return null;
    const leaves = await leavesUpTo(c, leaf.log_id, Number(cp.tree_size));
    return {
      event_id: eventId,
      log_id: leaf.log_id,
      leaf_index: Number(leaf.seq),
      leaf_hash: leaf.leaf_hash.toString('hex'),
      // Which fields the leaf covers (2: with source and api_key_id), to recompute it from the event.
      leaf_version: leaf.leaf_version,
      tree_size: Number(cp.tree_size),
      audit_path: inclusionProof(leaves, Number(leaf.seq)).map((b) => b.toString('hex')),
      checkpoint: checkpointView(cp),
    };
  });
}

/** A consistency proof between two checkpoints of one log. */
export async function proveConsistency(db: Database, accountId: string, firstId: string, secondId: string) {
  return db.tenant(accountId, async (c) => {
    const cps = await checkpointsById(c, [firstId, secondId]);
    const first = cps.find((x) => x.id === firstId);
    const second = cps.find((x) => x.id === secondId);
    if (!first || !second || first.log_id !== second.log_id) return null;
    const [a, b] = Number(first.tree_size) <= Number(second.tree_size) ? [first, second] : [second, first];
    if (Number(a.tree_size) === 0) return { first: checkpointView(a), second: checkpointView(b), proof: [] as string[] };
    const leaves = await leavesUpTo(c, a.log_id, Number(b.tree_size));
    return { first: checkpointView(a), second: checkpointView(b), proof: consistencyProof(leaves, Number(a.tree_size), Number(b.tree_size)).map((x) => x.toString('hex')) };
  });
}
