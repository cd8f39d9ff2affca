import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { Database, ensurePartitionsAhead } from '@audit-trail/data';
import { type EnsurePartitionsPayload, JOBS, QUEUES, type RunExportPayload } from '@audit-trail/queues';
import { LocalExportStorage, type SweepResult, sweepExports } from '@audit-trail/engines';
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
    const names = await this.db.withClient((c) => ensurePartitionsAhead(c, monthsAhead));
    this.logger.log(`partitions present: ${names.join(', ')}`);
    return { created: names };
  }

  /** Expired files out, lost jobs back in: see sweepExports. */
  async sweepExports(now: Date, staleAfter = '15 minutes'): Promise<SweepResult> {
    const r = await sweepExports(this.db, this.storage, this.exportsQueue, now, staleAfter);
    if (r.expired || r.requeued || r.failed) this.logger.log(`exports swept: ${r.expired} expired, ${r.requeued} re-enqueued, ${r.failed} failed`);
    return r;
  }
}
