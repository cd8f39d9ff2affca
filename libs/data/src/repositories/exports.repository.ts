import { CSV_COLUMNS, type EventRecord } from '@audit-trail/audit-core';
import type { EntityManager, RequiredEntityData } from '@mikro-orm/postgresql';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { type Database, escapeLiteral, type SqlExecutor } from '../database';
import { Export, type ExportFormat, type ExportStatus, type StoredExportFilters } from '../entities/export.entity';

export type { StoredExportFilters } from '../entities/export.entity';
import { buildEventWhere, EVENT_SELECT_LIST, isoTime } from './event.repository';

/**
 * The `exports` table: the API creates a row through the Export entity (whose
 * `filters` column has this type too); every other statement on the table is
 * here, for the API, the export engine and the sweep alike.
 */

/** What a run of the export job needs from its row. */
export interface ExportJobRow {
  id: string;
  account_id: string;
  format: ExportFormat;
  gzip: boolean;
  filters: StoredExportFilters;
  status: ExportStatus;
}

/**
 * Start (or restart) a run: status `running`, one more attempt. Undefined
 * when the export is completed, expired or gone (a duplicate job).
 */
export async function startExportRun(exec: SqlExecutor, exportId: string): Promise<ExportJobRow | undefined> {
  const { rows } = await exec.query<ExportJobRow>(
    `UPDATE exports SET status = 'running', started_at = coalesce(started_at, now()), attempts = attempts + 1, error = NULL
     WHERE id = $1 AND status IN ('queued', 'running', 'failed') RETURNING id, account_id, format, gzip, filters, status`,
    [exportId],
  );
  return rows[0];
}

export async function setExportProgress(exec: SqlExecutor, exportId: string, progress: number, rows: number): Promise<void> {
  await exec.query('UPDATE exports SET progress = $2, row_count = $3 WHERE id = $1', [exportId, progress, rows]);
}

export interface CompletedExport {
  rows: number;
  bytes: number;
  sha256: string;
  fileKey: string;
  expiresAt: Date;
  manifestKey: string | null;
}

export async function completeExport(exec: SqlExecutor, exportId: string, c: CompletedExport): Promise<void> {
  await exec.query(
    `UPDATE exports SET status = 'completed', progress = 1, row_count = $2, bytes = $3, sha256 = $4, file_key = $5, completed_at = now(), expires_at = $6, manifest_key = $7 WHERE id = $1`,
    [exportId, c.rows, c.bytes, c.sha256, c.fileKey, c.expiresAt, c.manifestKey],
  );
}

export async function findExportForRun(exec: SqlExecutor, exportId: string): Promise<Omit<ExportJobRow, 'filters'> | undefined> {
  return (await exec.query<Omit<ExportJobRow, 'filters'>>('SELECT id, account_id, format, gzip, status FROM exports WHERE id = $1', [exportId])).rows[0];
}

/** End an export as failed with a reason a person can read; a completed export stays completed. */
export async function markExportFailed(exec: SqlExecutor, exportId: string, message: string): Promise<void> {
  await exec.query(`UPDATE exports SET status = 'failed', error = $2 WHERE id = $1 AND status <> 'completed'`, [exportId, message.slice(0, 1000)]);
}

/** The file is gone: the export says so. */
export async function markExportExpired(exec: SqlExecutor, exportId: string): Promise<void> {
  await exec.query(`UPDATE exports SET status = 'expired', file_key = NULL WHERE id = $1 AND status = 'completed'`, [exportId]);
}

export interface DueExport {
  id: string;
  account_id: string;
  status: string;
  file_key: string | null;
  /** True: past its expiry; false: queued or running for longer than `staleAfter`. */
  expired: boolean;
}

/** Across every tenant (a SECURITY DEFINER function): files to delete, and exports whose job may be lost. */
export async function exportsDue(db: Database, now: Date, staleAfter: string): Promise<DueExport[]> {
  return db.withClient(async (c) => (await c.query<DueExport>('SELECT * FROM app_exports_due($1, $2::interval)', [now, staleAfter])).rows);
}

// The export's read: its events, filters resolved at request time, received no later than the request (a retry writes the same file).

function exportWhere(accountId: string, f: StoredExportFilters): { where: string; params: unknown[] } {
  const { log, from, to, requested_at, ...filter } = f;
  const { where, params } = buildEventWhere(accountId, { filter, log, from: new Date(from), to: new Date(to) });
  params.push(requested_at);
  return { where: `${where} AND received_at <= $${params.length}`, params };
}

export async function countExportRows(exec: SqlExecutor, accountId: string, f: StoredExportFilters): Promise<number> {
  const { where, params } = exportWhere(accountId, f);
  return Number((await exec.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE ${where}`, params)).rows[0].n);
}

/**
 * The formula-injection rule of `neutralizeCell` in SQL: a cell starting
 * with = + - @ tab or CR gets a leading apostrophe. ascii() reads only the
 * first character, which keeps this cheap over millions of cells.
 */
const neutral = (expr: string) => `CASE WHEN ascii(${expr}) IN (61, 43, 45, 64, 9, 13) THEN '''' || ${expr} ELSE ${expr} END`;

/** Each CSV column as a SQL expression, in CSV_COLUMNS order. */
const CSV_SQL: Record<(typeof CSV_COLUMNS)[number], string> = {
  id: 'id',
  occurred_at: isoTime('occurred_at'),
  received_at: isoTime('received_at'),
  scope: `CASE WHEN workspace_id IS NULL THEN 'account' ELSE 'workspace' END`,
  workspace_id: 'workspace_id',
  action: neutral('action'),
  category: neutral('category'),
  outcome: neutral('outcome'),
  actor_type: neutral('actor_type'),
  actor_id: neutral('actor_id'),
  actor_email: neutral('actor_email'),
  actor_name: neutral('actor_name'),
  target_type: neutral('target_type'),
  target_id: neutral('target_id'),
  target_name: neutral('target_name'),
  ip: 'host(ip)',
  user_agent: neutral('user_agent'),
  metadata: neutral('metadata::text'),
  changes: neutral('changes::text'),
  source: 'source',
  api_key_id: 'api_key_id',
};
const CSV_SELECT = CSV_COLUMNS.map((c) => `${CSV_SQL[c]} AS ${c}`).join(', ');

/**
 * COPY takes no bind parameters: inline them as literals. Strings go through
 * escapeLiteral, arrays become ARRAY[...] (the clause adds its own cast).
 */
export function inlineParams(sql: string, params: unknown[]): string {
  const literal = (v: unknown): string => {
    if (Array.isArray(v)) return `ARRAY[${v.map(literal).join(', ')}]`;
    if (typeof v === 'string') return escapeLiteral(v);
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    throw new Error(`cannot inline a ${typeof v} parameter`);
  };
  return sql.replace(/\$(\d+)/g, (_, n: string) => literal(params[Number(n) - 1]));
}

/**
 * The export as CSV, written by PostgreSQL itself (quoting, header, NULL as
 * empty) through COPY, oldest first. Runs on the caller's connection, in its
 * snapshot.
 */
export function copyExportCsv(client: PoolClient, accountId: string, f: StoredExportFilters): AsyncIterable<Buffer> {
  const { where, params } = exportWhere(accountId, f);
  return client.query(copyTo(`COPY (SELECT ${CSV_SELECT} FROM audit_events WHERE ${inlineParams(where, params)} ORDER BY occurred_at, id) TO STDOUT WITH (FORMAT csv, HEADER)`));
}

/** An exported event with its sealed position (null when not sealed), for the manifest. */
export type ExportRow = EventRecord & { leaf_log: string | null; leaf_seq: string | null; leaf_version: number | null };

/** The export's events oldest first, in batches from a server-side cursor (never the whole result in memory). */
export async function* exportRowBatches(exec: SqlExecutor, accountId: string, f: StoredExportFilters, fetchRows: number): AsyncGenerator<ExportRow[]> {
  const { where, params } = exportWhere(accountId, f);
  await exec.query(
    `DECLARE export_cursor NO SCROLL CURSOR FOR
     SELECT e.*, l.log_id AS leaf_log, l.seq AS leaf_seq, l.leaf_version AS leaf_version FROM (SELECT ${EVENT_SELECT_LIST} FROM audit_events WHERE ${where}) e
     LEFT JOIN integrity_leaves l ON l.account_id = e.account_id AND l.event_id = e.id
     ORDER BY e.occurred_at, e.id`,
    params,
  );
  for (;;) {
    const { rows } = await exec.query<ExportRow>(`FETCH ${Math.floor(fetchRows)} FROM export_cursor`);
    if (rows.length === 0) return;
    yield rows;
  }
}

// Through the ORM: the API's side of the table.

/** A new export row, persisted with the caller's flush (in its tenant transaction). */
export function newExport(em: EntityManager, fields: RequiredEntityData<Export>): Export {
  return em.create(Export, fields);
}

export function findExport(em: EntityManager, id: string): Promise<Export | null> {
  return em.findOne(Export, { id });
}

/** The tenant's most recent exports, newest first. */
export function recentExports(em: EntityManager, limit: number): Promise<Export[]> {
  return em.find(Export, {}, { orderBy: { createdAt: 'desc' }, limit });
}
