import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { type AppConfig, Database, EventWriter, QUEUES, type RetentionReport, type RunRetentionPayload, runRetention } from '@audit-trail/platform';
import type { Job } from 'bullmq';
import { CONFIG, RETENTION_DB } from './tokens';

/**
 * Purges expired events, daily from the job scheduler or now for an
 * operator. One run at a time per worker; a run repeated (BullMQ retry, two
 * workers) deletes nothing more, so at-least-once is safe.
 */
@Processor(QUEUES.retention, { concurrency: 1 })
export class RetentionProcessor extends WorkerHost {
  private readonly logger = new Logger(RetentionProcessor.name);
  private readonly writer: EventWriter;

  constructor(
    @Inject(RETENTION_DB) private readonly retentionDb: Database,
    private readonly db: Database,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {
    super();
    this.writer = new EventWriter(db);
  }

  async process(job: Job<RunRetentionPayload>): Promise<RetentionReport> {
    return this.run(job.data);
  }

  async run(payload: RunRetentionPayload = {}, now = new Date()): Promise<RetentionReport> {
    const report = await runRetention(this.retentionDb, {
      now,
      accountIds: payload.accountIds,
      batchSize: this.config.RETENTION_BATCH_SIZE,
      audit: { db: this.db, writer: this.writer },
    });
    this.logger.log(
      `retention: ${report.purged_total} events purged over ${report.accounts.filter((a) => a.purged > 0).length} accounts; partitions dropped: ${report.partitions_dropped.join(', ') || 'none'}`,
    );
    return report;
  }
}
