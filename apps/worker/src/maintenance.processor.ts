import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { Database } from '@audit-trail/data';
import { type EnsurePartitionsPayload, exportJobId, JOBS, QUEUES, type RunExportPayload } from '@audit-trail/queues';
import { failExport, LocalExportStorage, manifestFileKey } from '@audit-trail/engines';
import type { Job, Queue } from 'bullmq';
import { CONFIG } from './tokens';

/** Keeps the audit_events partitions of the coming months created ahead of ingest. */
@Processor(QUEUES.maintenance)
export class MaintenanceProcessor extends WorkerHost {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  private readonly storage: LocalExportStorage;

  constructor(
    private readonly db: Database,
    @Inject(CONFIG) config: AppConfig,
    @InjectQueue(QUEUES.exports) private readonly exportsQueue: Queue<RunExportPayload>,
  ) {
    super();
    this.storage = new LocalExportStorage(config.EXPORT_DIR);
  }

  async process(job: Job<EnsurePartitionsPayload>): Promise<unknown> {
    switch (job.name) {
      case JOBS.ensurePartitions:
        return this.ensurePartitions(job.data.monthsAhead);
      case JOBS.sweepExports:
        return this.sweepExports(new Date());
      default:
        throw new Error(`unknown job ${job.name}`);
    }
  }

  /** Idempotent: creating a partition that exists is a no-op. */
  async ensurePartitions(monthsAhead: number): Promise<{ created: string[] }> {
    const client = await this.db.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `SELECT audit_ensure_partition(now() + make_interval(months => m)) AS name FROM generate_series(0, $1::int) AS m`,
        [monthsAhead],
      );
      const names = rows.map((r) => r.name);
      this.logger.log(`partitions present: ${names.join(', ')}`);
      return { created: names };
    } finally {
      client.release();
    }
  }

  /**
   * Delete files past their expiry (the export becomes `expired`), and
   * re-enqueue exports whose job was lost (Redis flushed): PostgreSQL, not
   * the queue, is the record of what was asked for.
   */
  async sweepExports(now: Date, staleAfter = '15 minutes'): Promise<{ expired: number; requeued: number; failed: number }> {
    const client = await this.db.connect();
    let due: { id: string; account_id: string; status: string; file_key: string | null; expired: boolean }[];
    try {
      due = (await client.query<(typeof due)[number]>('SELECT * FROM app_exports_due($1, $2::interval)', [now, staleAfter])).rows;
    } finally {
      client.release();
    }
    let expired = 0;
    let requeued = 0;
    let failed = 0;
    for (const e of due) {
      if (e.expired) {
        if (e.file_key) {
          await this.storage.delete(e.file_key);
          await this.storage.delete(manifestFileKey(e.file_key));
        }
        await this.db.tenant(e.account_id, (c) => c.query(`UPDATE exports SET status = 'expired', file_key = NULL WHERE id = $1 AND status = 'completed'`, [e.id]));
        expired++;
      } else {
        // Queued or running for a while: look at its job. Lost (Redis
        // flushed): enqueue it again. Failed for good, or finished without
        // the row saying so: end the export with the reason.
        const job = await this.exportsQueue.getJob(exportJobId(e.id));
        const state = job ? await job.getState() : 'missing';
        if (state === 'missing' || state === 'unknown') {
          await this.exportsQueue.add(JOBS.runExport, { exportId: e.id, accountId: e.account_id }, { jobId: exportJobId(e.id) });
          requeued++;
        } else if (state === 'failed' || state === 'completed') {
          const why = state === 'failed' ? `The export failed: ${job?.failedReason ?? 'the job failed'}` : 'The export job ended without finishing the file.';
          await failExport(this.db, this.storage, e.id, e.account_id, why);
          failed++;
        }
      }
    }
    if (expired || requeued || failed) this.logger.log(`exports swept: ${expired} expired, ${requeued} re-enqueued, ${failed} failed`);
    return { expired, requeued, failed };
  }
}
