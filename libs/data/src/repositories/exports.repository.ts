import type { EventFilter } from '@audit-trail/audit-core';
import type { Database, SqlExecutor } from '../database';
import type { ExportFormat, ExportStatus } from '../entities/export.entity';
import type { LogSelector } from './event.repository';

/**
 * The `exports` table: the API creates a row through the Export entity (whose
 * `filters` column has this type too); every other statement on the table is
 * here, for the API, the export engine and the sweep alike.
 */

/** The export's filters as stored at request time (from/to resolved). */
export interface StoredExportFilters extends Omit<EventFilter, 'scope' | 'workspace_id'> {
  log: LogSelector;
  from: string;
  to: string;
  /** Events received after the request are not part of it: retries produce the same file. */
  requested_at: string;
}

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
