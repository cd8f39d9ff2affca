import { type Database, exportsDue, markExportExpired } from '@audit-trail/data';
import { exportJobId, JOBS, type RunExportPayload } from '@audit-trail/queues';
import { failExport, manifestFileKey } from './run-export';
import type { ExportStorage } from './storage';

/** The part of the export queue the sweep uses (a BullMQ Queue is one). */
export interface ExportJobQueue {
  getJob(id: string): Promise<{ getState(): Promise<string>; failedReason?: string } | undefined | null>;
  add(name: string, data: RunExportPayload, opts: { jobId: string }): Promise<unknown>;
}

export interface SweepResult {
  expired: number;
  requeued: number;
  failed: number;
}

/**
 * Delete files past their expiry (the export becomes `expired`), and look
 * after exports queued or running for longer than `staleAfter`: PostgreSQL,
 * not the queue, is the record of what was asked for. A job that is gone
 * (Redis flushed) is enqueued again; one that failed for good, or finished
 * without the row saying so, ends the export with the reason.
 */
export async function sweepExports(db: Database, storage: ExportStorage, queue: ExportJobQueue, now: Date, staleAfter = '15 minutes'): Promise<SweepResult> {
  const due = await exportsDue(db, now, staleAfter);
  const result: SweepResult = { expired: 0, requeued: 0, failed: 0 };
  for (const e of due) {
    if (e.expired) {
      if (e.file_key) {
        await storage.delete(e.file_key);
        await storage.delete(manifestFileKey(e.file_key));
      }
      await db.tenant(e.account_id, (c) => markExportExpired(c, e.id));
      result.expired++;
      continue;
    }
    const job = await queue.getJob(exportJobId(e.id));
    const state = job ? await job.getState() : 'missing';
    if (state === 'missing' || state === 'unknown') {
      await queue.add(JOBS.runExport, { exportId: e.id, accountId: e.account_id }, { jobId: exportJobId(e.id) });
      result.requeued++;
    } else if (state === 'failed' || state === 'completed') {
      const why = state === 'failed' ? `The export failed: ${job?.failedReason ?? 'the job failed'}` : 'The export job ended without finishing the file.';
      await failExport(db, storage, e.id, e.account_id, why);
      result.failed++;
    }
  }
  return result;
}
