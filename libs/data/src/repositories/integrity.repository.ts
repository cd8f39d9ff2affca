import type { EventRecord } from '@audit-trail/audit-core';
import { streamRows } from '../cursor';
import type { Database, SqlExecutor } from '../database';
import { eventSelectList, isoTime } from './event.repository';

/**
 * The integrity tables the API and the engines read: published keys,
 * signed checkpoints, and which events are sealed.
 */

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

export interface SigningKeyRow {
  key_id: string;
  algorithm: string;
  public_key: string;
  valid_from: Date;
  valid_to: Date | null;
}

/** Every key that ever signed, newest first (integrity_keys is readable by every tenant: keys are public). */
export async function listSigningKeys(exec: SqlExecutor): Promise<SigningKeyRow[]> {
  return (await exec.query<SigningKeyRow>('SELECT * FROM integrity_keys ORDER BY valid_from DESC')).rows;
}

/** Publish a key: it becomes the valid one, and every older key keeps its record with the end of its validity. */
export async function publishSigningKey(exec: SqlExecutor, keyId: string, publicKeyPem: string): Promise<void> {
  await exec.query(`INSERT INTO integrity_keys (key_id, public_key) VALUES ($1, $2) ON CONFLICT (key_id) DO UPDATE SET valid_to = NULL`, [keyId, publicKeyPem]);
  await exec.query(`UPDATE integrity_keys SET valid_to = now() WHERE key_id <> $1 AND valid_to IS NULL`, [keyId]);
}

/** One log's checkpoints in a time range, newest first. */
export async function listCheckpoints(exec: SqlExecutor, logId: string, range: { from?: string | null; to?: string | null; limit: number }): Promise<CheckpointRow[]> {
  const { rows } = await exec.query<CheckpointRow>(
    `SELECT * FROM integrity_checkpoints WHERE log_id = $1 AND created_at >= coalesce($2::timestamptz, '-infinity') AND created_at < coalesce($3::timestamptz, 'infinity')
     ORDER BY created_at DESC LIMIT $4`,
    [logId, range.from ?? null, range.to ?? null, range.limit],
  );
  return rows;
}

/** The newest checkpoint of one log. */
export async function latestCheckpoint(exec: SqlExecutor, logId: string): Promise<CheckpointRow | undefined> {
  return (await exec.query<CheckpointRow>('SELECT * FROM integrity_checkpoints WHERE log_id = $1 ORDER BY created_at DESC LIMIT 1', [logId])).rows[0];
}

/** Which of these events are sealed (one index probe each). */
export async function sealedEventIds(exec: SqlExecutor, accountId: string, eventIds: string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const { rows } = await exec.query<{ event_id: string }>('SELECT event_id FROM integrity_leaves WHERE account_id = $1 AND event_id = ANY($2::uuid[])', [accountId, eventIds]);
  return new Set(rows.map((r) => r.event_id));
}

/** A log's sealing state (integrity_logs): its tree, where sealing got to, its last checkpoint. */
export interface IntegrityLogRow {
  log_id: string;
  tree_size: string;
  /** The Merkle frontier's node hashes, hex. */
  frontier: string[];
  cursor_txid: string | null;
  cursor_id: string | null;
  last_round_at: Date | null;
  last_checkpoint_at: Date | null;
  last_checkpoint_size: string | null;
  last_checkpoint_hash: string | null;
}

/** The log's row, created when missing and locked for this transaction (one sealer per log at a time). */
export async function lockIntegrityLog(exec: SqlExecutor, logId: string, accountId: string, workspaceId: string | null): Promise<IntegrityLogRow> {
  await exec.query(`INSERT INTO integrity_logs (log_id, account_id, workspace_id) VALUES ($1, $2, $3) ON CONFLICT (log_id) DO NOTHING`, [logId, accountId, workspaceId]);
  return (await exec.query<IntegrityLogRow>(`SELECT * FROM integrity_logs WHERE log_id = $1 FOR UPDATE`, [logId])).rows[0];
}

/** Save where sealing got to; the round's time only when the round is complete. */
export async function saveIntegrityLog(
  exec: SqlExecutor,
  logId: string,
  s: { treeSize: number; frontier: string[]; last: { txid: string; id: string } | null; now: Date; roundComplete: boolean },
): Promise<void> {
  await exec.query(
    `UPDATE integrity_logs SET tree_size = $2, frontier = $3, cursor_txid = coalesce($4::text::xid8, cursor_txid), cursor_id = coalesce($5, cursor_id), last_round_at = CASE WHEN $7 THEN $6 ELSE last_round_at END WHERE log_id = $1`,
    [logId, s.treeSize, s.frontier, s.last?.txid ?? null, s.last?.id ?? null, s.now, s.roundComplete],
  );
}

/** New leaves of one log, in one statement. */
export async function insertLeaves(exec: SqlExecutor, logId: string, accountId: string, sealedAt: Date, version: number, leaves: { seqs: number[]; ids: string[]; times: Date[]; hashes: string[] }): Promise<void> {
  if (leaves.ids.length === 0) return;
  await exec.query(
    `INSERT INTO integrity_leaves (log_id, seq, account_id, event_id, occurred_at, leaf_hash, sealed_at, leaf_version)
     SELECT $1, s, $2, e, o, decode(h, 'hex'), $3, $8 FROM unnest($4::bigint[], $5::uuid[], $6::timestamptz[], $7::text[]) AS t(s, e, o, h)`,
    [logId, accountId, sealedAt, leaves.seqs, leaves.ids, leaves.times, leaves.hashes, version],
  );
}

/** Rows written into sealed history: recorded, never sealed; verification reports them. */
export async function insertAnomalies(exec: SqlExecutor, logId: string, accountId: string, foundAt: Date, previousRound: Date | null, rows: { id: string; occurred_at: Date; received_at: Date }[]): Promise<void> {
  if (rows.length === 0) return;
  await exec.query(
    `INSERT INTO integrity_anomalies (id, log_id, account_id, event_id, occurred_at, found_at, reason)
     SELECT gen_random_uuid(), $1, $2, e, o, $3, 'received_at ' || to_char(r AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ' is before the previous sealing round (' || $4 || '): the row was written into the past'
     FROM unnest($5::uuid[], $6::timestamptz[], $7::timestamptz[]) AS t(e, o, r)`,
    [logId, accountId, foundAt, previousRound?.toISOString() ?? '', rows.map((r) => r.id), rows.map((r) => r.occurred_at), rows.map((r) => r.received_at)],
  );
}

export interface NewCheckpoint {
  id: string;
  logId: string;
  accountId: string;
  workspaceId: string | null;
  treeSize: number;
  rootHash: string;
  createdAt: Date;
  previousHash: string | null;
  hash: string;
  keyId: string;
  signature: string;
  purgeBefore: Date | null;
}

/** A signed checkpoint, and the log's record of its latest. */
export async function insertCheckpoint(exec: SqlExecutor, cp: NewCheckpoint): Promise<void> {
  await exec.query(
    `INSERT INTO integrity_checkpoints (id, log_id, account_id, workspace_id, tree_size, root_hash, created_at, previous_hash, hash, key_id, signature, purge_before)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [cp.id, cp.logId, cp.accountId, cp.workspaceId, cp.treeSize, cp.rootHash, cp.createdAt, cp.previousHash, cp.hash, cp.keyId, cp.signature, cp.purgeBefore],
  );
  await exec.query(`UPDATE integrity_logs SET last_checkpoint_at = $2, last_checkpoint_size = $3, last_checkpoint_hash = $4 WHERE log_id = $1`, [cp.logId, cp.createdAt, cp.treeSize, cp.hash]);
}

/** Every account (across tenants: a SECURITY DEFINER function) with its plan and workspaces, for the sealer's round. */
export async function integrityAccounts(db: Database): Promise<{ account_id: string; plan: string; workspace_ids: string[] }[]> {
  return db.withClient(async (c) => (await c.query<{ account_id: string; plan: string; workspace_ids: string[] }>('SELECT * FROM app_integrity_accounts()')).rows);
}

// Verification and proofs: reads inside one read-only snapshot.

/** Name the transaction's snapshot so another connection can share it. */
export async function exportSnapshot(exec: SqlExecutor): Promise<string> {
  return (await exec.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0].s;
}

export async function integrityLogHead(exec: SqlExecutor, logId: string): Promise<{ tree_size: string; cursor_txid: string | null; cursor_id: string | null } | undefined> {
  return (await exec.query<{ tree_size: string; cursor_txid: string | null; cursor_id: string | null }>('SELECT tree_size, cursor_txid::text, cursor_id FROM integrity_logs WHERE log_id = $1', [logId])).rows[0];
}

/** Every checkpoint of one log, oldest first. */
export async function checkpointChain(exec: SqlExecutor, logId: string): Promise<CheckpointRow[]> {
  return (await exec.query<CheckpointRow>('SELECT * FROM integrity_checkpoints WHERE log_id = $1 ORDER BY created_at, tree_size', [logId])).rows;
}

/** One log's leaves in position order, streamed (positions and hashes only). */
export function streamLeaves(exec: SqlExecutor, logId: string): AsyncGenerator<{ seq: string; leaf_hash: Buffer }> {
  return streamRows<{ seq: string; leaf_hash: Buffer }>(exec, 'leaves', 'SELECT seq, leaf_hash FROM integrity_leaves WHERE log_id = $1 ORDER BY seq', [logId]);
}

export async function leafEventAt(exec: SqlExecutor, logId: string, seq: number): Promise<string | null> {
  return (await exec.query<{ event_id: string }>('SELECT event_id FROM integrity_leaves WHERE log_id = $1 AND seq = $2', [logId, seq])).rows[0]?.event_id ?? null;
}

export async function anomaliesIn(exec: SqlExecutor, logId: string, from: string, to: string): Promise<{ event_id: string; occurred_at: Date; reason: string }[]> {
  return (
    await exec.query<{ event_id: string; occurred_at: Date; reason: string }>('SELECT event_id, occurred_at, reason FROM integrity_anomalies WHERE log_id = $1 AND occurred_at >= $2 AND occurred_at < $3', [logId, from, to])
  ).rows;
}

/**
 * Events of [from, to) in one log without a leaf: `behind` when the sealer's
 * cursor is already past them (written into sealed history), else not sealed
 * yet. Streamed.
 */
export function streamUnsealedEvents(
  exec: SqlExecutor,
  q: { accountId: string; workspaceId: string | null; logId: string; from: string; to: string; cursor: { txid: string; id: string | null } | null },
): AsyncGenerator<{ id: string; occurred_at: string; behind: boolean }> {
  const logCond = q.workspaceId ? 'e.workspace_id = $2' : '(e.workspace_id IS NULL AND $2::uuid IS NULL)';
  return streamRows<{ id: string; occurred_at: string; behind: boolean }>(
    exec,
    'unsealed',
    `SELECT e.id, ${isoTime('e.occurred_at')} AS occurred_at,
            ($5::text IS NOT NULL AND (e.txid, e.id) <= ($5::text::xid8, $6::uuid)) AS behind
     FROM audit_events e
     WHERE e.account_id = $1 AND ${logCond} AND e.occurred_at >= $3 AND e.occurred_at < $4
       AND NOT EXISTS (SELECT 1 FROM integrity_leaves l WHERE l.account_id = e.account_id AND l.event_id = e.id AND l.log_id = $7 AND l.occurred_at >= $3 AND l.occurred_at < $4)`,
    [q.accountId, q.workspaceId, q.from, q.to, q.cursor?.txid ?? null, q.cursor?.id ?? null, q.logId],
  );
}

/** Whether an event with this id exists anywhere in the account (a sealed event that moved rather than vanished). */
export async function eventExists(exec: SqlExecutor, accountId: string, id: string): Promise<boolean> {
  return (await exec.query('SELECT 1 FROM audit_events WHERE account_id = $1 AND id = $2', [accountId, id])).rows.length > 0;
}

export interface LeafPairsQuery {
  accountId: string;
  workspaceId: string | null;
  logId: string;
  from: string;
  to: string;
  /** These shares of the leaves (by a hash of the event id), of `parts`. */
  shares: number[];
  parts: number;
}

/** A leaf and its event (all event columns null when the event is gone). */
export type LeafPairRow = Omit<EventRecord, 'occurred_at' | 'received_at' | 'idempotency_key'> & {
  occurred_at: string;
  received_at: string;
  l_seq: string;
  l_event_id: string;
  l_occurred_at: string;
  l_hash: string;
  l_version: number;
};

/** Memory for the join of one log's leaves and events (about 300 bytes a row). */
const VERIFY_WORK_MEM = '512MB';

/**
 * One share of the leaves of [from, to) each with its event, paired by a hash
 * join in PostgreSQL, streamed. Every row will be read: the planner is told
 * to hash-join the whole log (with the row-level-security filter it expects
 * few leaves and would pick a nested loop, one index probe per leaf), in
 * memory rather than in batches on disk.
 */
export async function* streamLeafPairs(exec: SqlExecutor, a: LeafPairsQuery): AsyncGenerator<LeafPairRow> {
  await exec.query(`SET LOCAL cursor_tuple_fraction = 1.0; SET LOCAL enable_nestloop = off; SET LOCAL work_mem = '${VERIFY_WORK_MEM}'`);
  const logCond = a.workspaceId ? 'workspace_id = $2' : '(workspace_id IS NULL AND $2::uuid IS NULL)';
  const share = (col: string) => (a.parts > 1 ? ` AND abs(hashtext(${col}::text)) % $6 = ANY($7::int[])` : ' AND $6::int > 0 AND cardinality($7::int[]) > 0');
  yield* streamRows<LeafPairRow>(
    exec,
    `pairs_${a.shares.join('_')}`,
    `SELECT l.seq AS l_seq, l.event_id AS l_event_id, ${isoTime('l.occurred_at')} AS l_occurred_at, encode(l.leaf_hash, 'hex') AS l_hash, l.leaf_version AS l_version, e.*
     FROM integrity_leaves l
     LEFT JOIN (SELECT ${eventSelectList({ isoTimes: true, apiOnly: true })} FROM audit_events WHERE account_id = $1 AND ${logCond} AND occurred_at >= $3 AND occurred_at < $4${share('id')}) e ON e.id = l.event_id
     WHERE l.log_id = $5 AND l.occurred_at >= $3 AND l.occurred_at < $4${share('l.event_id')}`,
    [a.accountId, a.workspaceId, a.from, a.to, a.logId, a.parts, a.shares],
  );
}

/** The leaf hashes of one log below a size, in order (proofs). */
export async function leafHashesBelow(exec: SqlExecutor, logId: string, size: number): Promise<Buffer[]> {
  return (await exec.query<{ leaf_hash: Buffer }>('SELECT leaf_hash FROM integrity_leaves WHERE log_id = $1 AND seq < $2 ORDER BY seq', [logId, size])).rows.map((r) => r.leaf_hash);
}

export async function leafOfEvent(exec: SqlExecutor, accountId: string, eventId: string): Promise<{ log_id: string; seq: string; leaf_hash: Buffer; leaf_version: number } | undefined> {
  return (await exec.query<{ log_id: string; seq: string; leaf_hash: Buffer; leaf_version: number }>('SELECT log_id, seq, leaf_hash, leaf_version FROM integrity_leaves WHERE account_id = $1 AND event_id = $2', [accountId, eventId])).rows[0];
}

/** The newest checkpoint of a log that covers a position. */
export async function checkpointCovering(exec: SqlExecutor, logId: string, seq: string | number): Promise<CheckpointRow | undefined> {
  return (await exec.query<CheckpointRow>('SELECT * FROM integrity_checkpoints WHERE log_id = $1 AND tree_size > $2 ORDER BY created_at DESC LIMIT 1', [logId, seq])).rows[0];
}

export async function checkpointsById(exec: SqlExecutor, ids: string[]): Promise<CheckpointRow[]> {
  return (await exec.query<CheckpointRow>('SELECT * FROM integrity_checkpoints WHERE id = ANY($1::uuid[])', [ids])).rows;
}
