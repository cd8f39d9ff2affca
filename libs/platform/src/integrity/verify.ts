import { type ApiEvent, type CheckpointBody, checkpointHash, consistencyProof, type EventRecord, inclusionProof, leafHash, MerkleFrontier } from '@audit-trail/audit-core';
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
/**
 * The events as the API shows them, with the two times already in
 * Date#toISOString form (UTC, milliseconds truncated, as node-pg's parser
 * truncates): no Date is parsed and printed again for every row.
 */
const iso = (c: string) => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${c}`;
const SELECT_API = EVENT_COLUMNS.filter((c) => c !== 'idempotency_key')
  .map((c) => (c === 'ip' ? 'host(ip) AS ip' : c === 'occurred_at' || c === 'received_at' ? iso(c) : c))
  .join(', ');
type ApiRow = Omit<EventRecord, 'occurred_at' | 'received_at' | 'idempotency_key'> & { occurred_at: string; received_at: string };
const FETCH = 10_000;
/** Memory for the join of one log's leaves and events (about 300 bytes a row). */
const VERIFY_WORK_MEM = '512MB';

/** A cursor read in batches, the next batch asked for while this one is processed. */
async function* fetchAll<T extends object>(c: PoolClient, name: string, sql: string, params: unknown[]): AsyncGenerator<T> {
  await c.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  const fetch = () => c.query(`FETCH ${FETCH} FROM ${name}`) as unknown as Promise<{ rows: T[] }>;
  let pending: Promise<{ rows: T[] }> | null = fetch();
  try {
    while (pending) {
      const batch: { rows: T[] } = await pending;
      pending = batch.rows.length === FETCH ? fetch() : null;
      for (const r of batch.rows) yield r;
    }
  } finally {
    // Stopped early (an error downstream): let the fetch in flight settle before the connection is reused.
    if (pending) await pending.catch(() => undefined);
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
 *  3. the events of [from, to] against their leaves, joined by id in
 *     PostgreSQL: a changed event no longer hashes to its leaf, a deleted one
 *     has a leaf and no row (unless a purge checkpoint allows it), and a row
 *     written into sealed history has no leaf although the sealer has passed it.
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
    for await (const l of fetchAll<{ seq: string; event_id: string; leaf_hash: Buffer }>(client, 'leaves', 'SELECT seq, event_id, leaf_hash FROM integrity_leaves WHERE log_id = $1 ORDER BY seq', [logId])) {
      const seq = Number(l.seq);
      if (seq !== frontier.size) {
        bad({ event_id: l.event_id, seq: frontier.size, occurred_at: null, reason: `sealed position ${frontier.size} is missing` });
        while (frontier.size < seq) frontier.append(Buffer.alloc(32));
      }
      frontier.append(l.leaf_hash);
      sealed++;
      checkRoots();
    }
    if (log && frontier.size !== Number(log.tree_size)) bad({ event_id: null, seq: frontier.size, occurred_at: null, reason: `the log says ${log.tree_size} events are sealed, but ${frontier.size} leaves exist` });

    // 3. Events against leaves, matched by PostgreSQL (a hash join, no order
    // needed). Rows the sealer refused are reported with its reason.
    const anomalies = await client.query<{ event_id: string; occurred_at: Date; reason: string }>(
      'SELECT event_id, occurred_at, reason FROM integrity_anomalies WHERE log_id = $1 AND occurred_at >= $2 AND occurred_at < $3',
      [logId, from, to],
    );
    const refused = new Set(anomalies.rows.map((a) => a.event_id));
    for (const a of anomalies.rows) bad({ event_id: a.event_id, seq: null, occurred_at: a.occurred_at.toISOString(), reason: a.reason });
    const logCond = ref.workspaceId ? 'workspace_id = $2' : '(workspace_id IS NULL AND $2::uuid IS NULL)';
    // Every row will be read: plan a hash join over the whole log. (With the
    // row-level-security filter the planner expects few leaves and would pick
    // a nested loop, one index probe per leaf.) The join holds one log's
    // events in memory rather than in batches on disk.
    await client.query(`SET LOCAL cursor_tuple_fraction = 1.0; SET LOCAL enable_nestloop = off; SET LOCAL work_mem = '${VERIFY_WORK_MEM}'`);
    const missing: { seq: number; event_id: string; occurred_at: string }[] = [];
    for await (const r of fetchAll<ApiRow & { l_seq: string; l_event_id: string; l_occurred_at: string; l_hash: Buffer }>(
      client,
      'pairs',
      `SELECT l.seq AS l_seq, l.event_id AS l_event_id, to_char(l.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS l_occurred_at, l.leaf_hash AS l_hash, e.*
       FROM integrity_leaves l
       LEFT JOIN (SELECT ${SELECT_API} FROM audit_events WHERE account_id = $1 AND ${logCond} AND occurred_at >= $3 AND occurred_at < $4) e ON e.id = l.event_id
       WHERE l.log_id = $5 AND l.occurred_at >= $3 AND l.occurred_at < $4`,
      [ref.accountId, ref.workspaceId, from, to, logId],
    )) {
      if (r.id === null) {
        missing.push({ seq: Number(r.l_seq), event_id: r.l_event_id, occurred_at: r.l_occurred_at });
        continue;
      }
      checked++;
      if (!leafHash(r as unknown as ApiEvent).equals(r.l_hash)) bad({ event_id: r.id, seq: Number(r.l_seq), occurred_at: r.occurred_at, reason: 'this event was changed after it was sealed: it no longer matches its leaf hash' });
    }
    // Events of the range without a leaf in it: not sealed yet, or written into sealed history.
    const cursor = log?.cursor_txid ? { txid: log.cursor_txid, id: log.cursor_id } : null;
    for await (const e of fetchAll<{ id: string; occurred_at: string; behind: boolean }>(
      client,
      'unsealed',
      `SELECT e.id, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at,
              ($5::text IS NOT NULL AND (e.txid, e.id) <= ($5::text::xid8, $6::uuid)) AS behind
       FROM audit_events e
       WHERE e.account_id = $1 AND ${logCond.replaceAll('workspace_id', 'e.workspace_id')} AND e.occurred_at >= $3 AND e.occurred_at < $4
         AND NOT EXISTS (SELECT 1 FROM integrity_leaves l WHERE l.account_id = e.account_id AND l.event_id = e.id AND l.log_id = $7 AND l.occurred_at >= $3 AND l.occurred_at < $4)`,
      [ref.accountId, ref.workspaceId, from, to, cursor?.txid ?? null, cursor?.id ?? null, logId],
    )) {
      checked++;
      if (e.behind && !refused.has(e.id)) bad({ event_id: e.id, seq: null, occurred_at: e.occurred_at, reason: 'this event is not sealed although the log was sealed past it: it was written into sealed history' });
    }
    // Leaves without their event: deleted, unless a purge checkpoint covers them.
    const purges = checkpoints.filter((cp) => cp.purge_before);
    for (const leaf of missing) {
      const purged = purges.some((cp) => leaf.seq < Number(cp.tree_size) && Date.parse(leaf.occurred_at) < (cp.purge_before as Date).getTime());
      if (purged) continue;
      // Moved rather than deleted? Look for the id anywhere in the account.
      const moved = (await client.query<EventRecord>(`SELECT ${SELECT} FROM audit_events WHERE account_id = $1 AND id = $2`, [ref.accountId, leaf.event_id])).rows[0];
      bad({
        event_id: leaf.event_id,
        seq: leaf.seq,
        occurred_at: leaf.occurred_at,
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
