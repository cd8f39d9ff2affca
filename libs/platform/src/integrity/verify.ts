import { type CheckpointBody, checkpointHash, consistencyProof, type EventRecord, inclusionProof, leafHash, MerkleFrontier, toApiEvent } from '@audit-trail/audit-core';
import type { PoolClient } from 'pg';
import { beginTenantSql, type Database } from '../database';
import { EVENT_COLUMNS } from '../events/event.repository';
import { type LogRef, logIdOf } from './sealer';
import { verifyCheckpointSignature } from './signing';

export interface CheckpointRow {
  id: string;
  log_id: string;
  account_id: string;
  workspace_id: string | null;
  tree_size: string;
  root_hash: string;
  created_at: Date;
  previous_hash: string | null;
  hash: string;
  key_id: string;
  signature: string;
  purge_before: Date | null;
}

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

export interface BadEvent {
  event_id: string | null;
  seq: number | null;
  occurred_at: string | null;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  sealed: number;
  checkpoints: number;
  first_bad: BadEvent | null;
  problems: number;
}

const SELECT = EVENT_COLUMNS.map((c) => (c === 'ip' ? 'host(ip) AS ip' : c)).join(', ');
const FETCH = 10_000;

async function* fetchAll<T extends object>(c: PoolClient, name: string, sql: string, params: unknown[]): AsyncGenerator<T> {
  await c.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  for (;;) {
    const { rows } = (await c.query(`FETCH ${FETCH} FROM ${name}`)) as unknown as { rows: T[] };
    if (rows.length === 0) break;
    for (const r of rows) yield r;
  }
  await c.query(`CLOSE ${name}`);
}

/**
 * Verify a log against its signed checkpoints and its events, as they are
 * in the database now. Three passes, all streamed:
 *  1. the checkpoint chain: each signed with a published key, each naming its
 *     predecessor's hash (a deleted checkpoint breaks the chain);
 *  2. the leaves in order: positions without a gap, and the Merkle root at
 *     every checkpoint's size equal to the signed root;
 *  3. the events of [from, to] against their leaves, merged by id: a changed
 *     event no longer hashes to its leaf, a deleted one has a leaf and no row
 *     (unless a purge checkpoint allows it), and a row written into sealed
 *     history has no leaf although the sealer has passed it.
 * The first bad event is the earliest by occurred_at.
 */
export async function verifyLog(db: Database, keys: Map<string, string>, ref: LogRef, range: { from?: Date; to?: Date } = {}): Promise<VerifyResult> {
  const logId = logIdOf(ref);
  const from = range.from ?? new Date(0);
  const to = range.to ?? new Date(8.64e15);
  const client = await db.connect();
  const problems: BadEvent[] = [];
  const bad = (b: BadEvent) => problems.push(b);
  let checked = 0;
  let sealed = 0;
  let checkpointsCount = 0;
  try {
    await client.query(beginTenantSql(ref.accountId).replace('BEGIN;', 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;'));
    const log = (await client.query<{ tree_size: string; cursor_txid: string | null; cursor_id: string | null }>('SELECT tree_size, cursor_txid::text, cursor_id FROM integrity_logs WHERE log_id = $1', [logId])).rows[0];
    const checkpoints = (await client.query<CheckpointRow>('SELECT * FROM integrity_checkpoints WHERE log_id = $1 ORDER BY created_at, tree_size', [logId])).rows;
    checkpointsCount = checkpoints.length;

    // 1. The chain of checkpoints.
    let prevHash: string | null = null;
    for (const cp of checkpoints) {
      const body = checkpointBody(cp);
      const key = keys.get(cp.key_id);
      if (!key || !verifyCheckpointSignature(key, body, cp.signature)) bad({ event_id: null, seq: Number(cp.tree_size), occurred_at: null, reason: `checkpoint ${cp.id} (size ${cp.tree_size}) has no valid signature from a published key` });
      else if (checkpointHash(body) !== cp.hash) bad({ event_id: null, seq: Number(cp.tree_size), occurred_at: null, reason: `checkpoint ${cp.id} does not match its recorded hash` });
      if (cp.previous_hash !== prevHash) bad({ event_id: null, seq: Number(cp.tree_size), occurred_at: null, reason: `checkpoint ${cp.id} does not follow the previous checkpoint: one was removed or replaced` });
      prevHash = cp.hash;
    }

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
    // Leaves in range, by event id: compact parallel arrays (a log can hold millions).
    const seqOf = new Map<string, number>();
    const leafSeq: number[] = [];
    const leafTime: number[] = [];
    const leafHashes: Buffer[] = [];
    for await (const l of fetchAll<{ seq: string; event_id: string; occurred_at: Date; leaf_hash: Buffer }>(client, 'leaves', 'SELECT seq, event_id, occurred_at, leaf_hash FROM integrity_leaves WHERE log_id = $1 ORDER BY seq', [logId])) {
      const seq = Number(l.seq);
      if (seq !== frontier.size) {
        bad({ event_id: l.event_id, seq: frontier.size, occurred_at: null, reason: `sealed position ${frontier.size} is missing` });
        while (frontier.size < seq) frontier.append(Buffer.alloc(32));
      }
      frontier.append(l.leaf_hash);
      sealed++;
      checkRoots();
      if (l.occurred_at >= from && l.occurred_at < to) {
        seqOf.set(l.event_id, leafSeq.length);
        leafSeq.push(seq);
        leafTime.push(l.occurred_at.getTime());
        leafHashes.push(l.leaf_hash);
      }
    }
    if (log && frontier.size !== Number(log.tree_size)) bad({ event_id: null, seq: frontier.size, occurred_at: null, reason: `the log says ${log.tree_size} events are sealed, but ${frontier.size} leaves exist` });

    // 3. Events against leaves. Rows the sealer refused are reported with its reason.
    const anomalies = await client.query<{ event_id: string; occurred_at: Date; reason: string }>(
      'SELECT event_id, occurred_at, reason FROM integrity_anomalies WHERE log_id = $1 AND occurred_at >= $2 AND occurred_at < $3',
      [logId, from, to],
    );
    const refused = new Set(anomalies.rows.map((a) => a.event_id));
    for (const a of anomalies.rows) bad({ event_id: a.event_id, seq: null, occurred_at: a.occurred_at.toISOString(), reason: a.reason });
    const logCond = ref.workspaceId ? 'workspace_id = $2' : '(workspace_id IS NULL AND $2::uuid IS NULL)';
    const cursor = log?.cursor_txid ? { txid: log.cursor_txid, id: log.cursor_id } : null;
    for await (const e of fetchAll<EventRecord & { txid: string; behind: boolean }>(
      client,
      'events',
      `SELECT ${SELECT}, txid::text AS txid, ($5::text IS NOT NULL AND (txid, id) <= ($5::text::xid8, $6::uuid)) AS behind
       FROM audit_events WHERE account_id = $1 AND ${logCond} AND occurred_at >= $3 AND occurred_at < $4`,
      [ref.accountId, ref.workspaceId, from, to, cursor?.txid ?? null, cursor?.id ?? null],
    )) {
      checked++;
      const i = seqOf.get(e.id);
      if (i === undefined) {
        if (e.behind && !refused.has(e.id)) bad({ event_id: e.id, seq: null, occurred_at: e.occurred_at.toISOString(), reason: 'this event is not sealed although the log was sealed past it: it was written into sealed history' });
        continue;
      }
      seqOf.delete(e.id);
      if (!leafHash(toApiEvent(e)).equals(leafHashes[i])) bad({ event_id: e.id, seq: leafSeq[i], occurred_at: e.occurred_at.toISOString(), reason: 'this event was changed after it was sealed: it no longer matches its leaf hash' });
    }
    // Leaves left over have no event: deleted, unless a purge checkpoint covers them.
    const purges = checkpoints.filter((cp) => cp.purge_before);
    for (const [eventId, i] of seqOf) {
      const leaf = { seq: leafSeq[i], occurred_at: new Date(leafTime[i]) };
      const purged = purges.some((cp) => leaf.seq < Number(cp.tree_size) && leaf.occurred_at < (cp.purge_before as Date));
      if (purged) continue;
      // Moved rather than deleted? Look for the id anywhere in the account.
      const moved = (await client.query<EventRecord>(`SELECT ${SELECT} FROM audit_events WHERE account_id = $1 AND id = $2`, [ref.accountId, eventId])).rows[0];
      bad({
        event_id: eventId,
        seq: leaf.seq,
        occurred_at: leaf.occurred_at.toISOString(),
        reason: moved ? 'this event was changed after it was sealed (its time or log was altered)' : 'this sealed event was deleted',
      });
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  problems.sort((a, b) => (a.occurred_at ?? '').localeCompare(b.occurred_at ?? '') || (a.seq ?? 0) - (b.seq ?? 0));
  return { ok: problems.length === 0, checked, sealed, checkpoints: checkpointsCount, first_bad: problems[0] ?? null, problems: problems.length };
}

async function leavesUpTo(c: PoolClient, logId: string, size: number): Promise<Buffer[]> {
  const { rows } = await c.query<{ leaf_hash: Buffer }>('SELECT leaf_hash FROM integrity_leaves WHERE log_id = $1 AND seq < $2 ORDER BY seq', [logId, size]);
  return rows.map((r) => r.leaf_hash);
}

/** An inclusion proof of one event to the newest checkpoint that covers it, or null when it is not sealed in a checkpoint yet. */
export async function proveInclusion(db: Database, accountId: string, eventId: string) {
  return db.tenant(accountId, async (c) => {
    const leaf = (await c.query<{ log_id: string; seq: string; leaf_hash: Buffer }>('SELECT log_id, seq, leaf_hash FROM integrity_leaves WHERE account_id = $1 AND event_id = $2', [accountId, eventId])).rows[0];
    if (!leaf) return null;
    const cp = (await c.query<CheckpointRow>('SELECT * FROM integrity_checkpoints WHERE log_id = $1 AND tree_size > $2 ORDER BY created_at DESC LIMIT 1', [leaf.log_id, leaf.seq])).rows[0];
    if (!cp) return null;
    const leaves = await leavesUpTo(c, leaf.log_id, Number(cp.tree_size));
    return {
      event_id: eventId,
      log_id: leaf.log_id,
      leaf_index: Number(leaf.seq),
      leaf_hash: leaf.leaf_hash.toString('hex'),
      tree_size: Number(cp.tree_size),
      audit_path: inclusionProof(leaves, Number(leaf.seq)).map((b) => b.toString('hex')),
      checkpoint: checkpointView(cp),
    };
  });
}

/** A consistency proof between two checkpoints of one log. */
export async function proveConsistency(db: Database, accountId: string, firstId: string, secondId: string) {
  return db.tenant(accountId, async (c) => {
    const cps = (await c.query<CheckpointRow>('SELECT * FROM integrity_checkpoints WHERE id = ANY($1::uuid[])', [[firstId, secondId]])).rows;
    const first = cps.find((x) => x.id === firstId);
    const second = cps.find((x) => x.id === secondId);
    if (!first || !second || first.log_id !== second.log_id) return null;
    const [a, b] = Number(first.tree_size) <= Number(second.tree_size) ? [first, second] : [second, first];
    if (Number(a.tree_size) === 0) return { first: checkpointView(a), second: checkpointView(b), proof: [] as string[] };
    const leaves = await leavesUpTo(c, a.log_id, Number(b.tree_size));
    return { first: checkpointView(a), second: checkpointView(b), proof: consistencyProof(leaves, Number(a.tree_size), Number(b.tree_size)).map((x) => x.toString('hex')) };
  });
}
