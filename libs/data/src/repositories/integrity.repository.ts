import { type SealedKey, SEALED_KEYS } from '@audit-trail/audit-core';
import type { ClientBase } from 'pg';
import { type BinaryRow, copyBinaryRows } from '../copy-binary';
import type { Database, SqlExecutor } from '../database';
import { isoTime } from './event.repository';

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
  await exec.query(`INSERT INTO integrity_logs (log_id, account_id, workspace_id) VALUES ($1, $2, $3) ON CONFLICT (account_id, log_id) DO NOTHING`, [logId, accountId, workspaceId]);
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

/** One log's leaves in position order as binary COPY rows: field 0 the position (int8), field 1 the leaf hash (32 bytes). */
export function copyLeaves(client: ClientBase, logId: string, onRow: (row: BinaryRow) => void): Promise<number> {
  return copyBinaryRows(client, `SELECT seq, leaf_hash FROM integrity_leaves WHERE log_id = ${client.escapeLiteral(logId)}::uuid ORDER BY seq`, onRow);
}

export async function leafEventAt(exec: SqlExecutor, logId: string, seq: number): Promise<string | null> {
  return (await exec.query<{ event_id: string }>('SELECT event_id FROM integrity_leaves WHERE log_id = $1 AND seq = $2', [logId, seq])).rows[0]?.event_id ?? null;
}

export async function anomaliesIn(exec: SqlExecutor, logId: string, from: string, to: string): Promise<{ event_id: string; occurred_at: Date; reason: string }[]> {
  return (
    await exec.query<{ event_id: string; occurred_at: Date; reason: string }>('SELECT event_id, occurred_at, reason FROM integrity_anomalies WHERE log_id = $1 AND occurred_at >= $2 AND occurred_at < $3', [logId, from, to])
  ).rows;
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
}

/** Where each column of a leaf pair is in the binary rows of copyLeafPairs (`behind` after the sealed values). */
export const LEAF_PAIR = { seq: 0, eventId: 1, occurredAt: 2, hash: 3, version: 4, sealedFrom: 5, behind: 5 + SEALED_KEYS.length } as const;

/**
 * How each sealed value of a leaf pair travels in copyLeafPairs, in
 * SEALED_KEYS order: a 16-byte uuid, a timestamptz, jsonb (a version byte and
 * its text), or UTF-8 text (the address as PostgreSQL's host() prints it).
 */
export type SealedWire = 'uuid' | 'time' | 'json' | 'text';
export const SEALED_WIRE: readonly SealedWire[] = SEALED_KEYS.map((k) =>
  k === 'account_id' || k === 'id' || k === 'workspace_id' || k === 'api_key_id' ? 'uuid' : k === 'occurred_at' || k === 'received_at' ? 'time' : k === 'changes' || k === 'metadata' ? 'json' : 'text',
);

/** The select expression of each sealed value, as the API prints it (text) or as it is stored (binary). */
const sealedSelect = (k: SealedKey, form: 'text' | 'binary') =>
  k === 'ip' ? 'host(e.ip)' : form === 'text' && (k === 'occurred_at' || k === 'received_at') ? isoTime(`e.${k}`) : `e.${k}`;

/** Memory for the hash of a log's leaves (about 100 bytes a leaf). */
const VERIFY_WORK_MEM = '256MB';

/**
 * The leaves of [from, to) with their events, as binary COPY rows (LEAF_PAIR
 * and SEALED_WIRE say what is where), in one pass: PostgreSQL hashes the
 * leaves and probes them with the log's events (a full join). A leaf without
 * its event has every event value NULL; an event without a leaf has every
 * leaf value NULL and `behind` true when the sealer's cursor is already past
 * it (written into sealed history) rather than not sealed yet. The planner is
 * told to hash-join in memory (with the row-level-security filter it expects
 * few leaves and would pick a nested loop, one index probe per leaf).
 */
export async function copyLeafPairs(client: ClientBase, a: LeafPairsQuery & { cursor: { txid: string; id: string | null } | null }, onRow: (row: BinaryRow) => void): Promise<number> {
  await client.query(`SET LOCAL enable_nestloop = off; SET LOCAL work_mem = '${VERIFY_WORK_MEM}'`);
  const lit = (v: string) => client.escapeLiteral(v);
  const from = `${lit(a.from)}::timestamptz`;
  const to = `${lit(a.to)}::timestamptz`;
  const logCond = a.workspaceId ? `workspace_id = ${lit(a.workspaceId)}::uuid` : 'workspace_id IS NULL';
  const behind = a.cursor ? `(e.txid, e.id) <= (${lit(a.cursor.txid)}::xid8, ${a.cursor.id === null ? 'NULL' : `${lit(a.cursor.id)}::uuid`})` : 'false';
  const sql =
    `SELECT l.seq, l.event_id, l.occurred_at, l.leaf_hash, l.leaf_version, ${SEALED_KEYS.map((k) => sealedSelect(k, 'binary')).join(', ')}, ` +
    `CASE WHEN l.seq IS NULL THEN coalesce(${behind}, false) END ` +
    `FROM (SELECT seq, event_id, occurred_at, leaf_hash, leaf_version FROM integrity_leaves WHERE log_id = ${lit(a.logId)}::uuid AND occurred_at >= ${from} AND occurred_at < ${to}) l ` +
    `FULL JOIN (SELECT * FROM audit_events WHERE account_id = ${lit(a.accountId)}::uuid AND ${logCond} AND occurred_at >= ${from} AND occurred_at < ${to}) e ON e.id = l.event_id`;
  return copyBinaryRows(client, sql, onRow);
}

/**
 * Named leaves of [from, to) with their events, as arrays: the leaf's
 * position, event id, time and hash (hex) and version, then the event's
 * values in SEALED_KEYS order as the API prints them. How verification looks
 * again, value by value, at a row whose bytes did not match its leaf.
 */
export type LeafPairRow = [seq: string, eventId: string, occurredAt: string, hashHex: string, version: number, ...sealed: unknown[]];
export async function leafPairsOf(client: ClientBase, a: LeafPairsQuery, eventIds: string[]): Promise<LeafPairRow[]> {
  const logCond = a.workspaceId ? 'e.workspace_id = $2' : '(e.workspace_id IS NULL AND $2::uuid IS NULL)';
  const result = await client.query<LeafPairRow>({
    text: `SELECT l.seq, l.event_id, ${isoTime('l.occurred_at')}, encode(l.leaf_hash, 'hex'), l.leaf_version, ${SEALED_KEYS.map((k) => sealedSelect(k, 'text')).join(', ')}
     FROM integrity_leaves l LEFT JOIN audit_events e ON e.account_id = $1 AND ${logCond} AND e.occurred_at >= $3 AND e.occurred_at < $4 AND e.id = l.event_id
     WHERE l.log_id = $5 AND l.occurred_at >= $3 AND l.occurred_at < $4 AND l.event_id = ANY($6::uuid[])`,
    values: [a.accountId, a.workspaceId, a.from, a.to, a.logId, eventIds],
    rowMode: 'array',
  });
  return result.rows;
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
