import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { Database } from '@audit-trail/data';
import { QUEUES, type RunRetentionPayload } from '@audit-trail/queues';
import { AuditWriter, checkpointBeforePurge, EventWriter, type RetentionReport, runRetention, sealableLogs, type SigningKey } from '@audit-trail/engines';
import type { Job } from 'bullmq';
import { CONFIG, RETENTION_DB, SIGNING_KEY } from './tokens';

/**
 * Purges expired events, daily from the job scheduler or now for an
 * operator. One run at a time per worker; a run repeated (BullMQ retry, two
 * workers) deletes nothing more, so at-least-once is safe.
 */
@Processor(QUEUES.retention, { concurrency: 1 })
export class RetentionProcessor extends WorkerHost {
  private readonly logger = new Logger(RetentionProcessor.name);
  private readonly audit: AuditWriter;

  constructor(
    @Inject(RETENTION_DB) private readonly retentionDb: Database,
    private readonly db: Database,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(SIGNING_KEY) private readonly key: SigningKey,
  ) {
    super();
    this.audit = new AuditWriter(db, new EventWriter(db));
  }

  async process(job: Job<RunRetentionPayload>): Promise<RetentionReport> {
    return this.run(job.data);
  }

  async run(payload: RunRetentionPayload = {}, now = new Date()): Promise<RetentionReport> {
    // Sealed logs get a signed checkpoint naming the cutoff before anything is deleted.
    const sealed = new Map<string, string[]>();
    for (const ref of await sealableLogs(this.db)) {
      if (ref.workspaceId) sealed.get(ref.accountId)?.push(ref.workspaceId);
      else sealed.set(ref.accountId, sealed.get(ref.accountId) ?? []);
    }
    const report = await runRetention(this.retentionDb, {
      beforePurge: async (accountId, cutoff) => {
        const workspaces = sealed.get(accountId);
        if (workspaces) await checkpointBeforePurge(this.db, this.key, accountId, workspaces, cutoff, { now });
      },
      now,
      accountIds: payload.accountIds,
      batchSize: this.config.RETENTION_BATCH_SIZE,
      throttle: this.config.RETENTION_THROTTLE,
      audit: this.audit,
    });
    this.logger.log(
      `retention: ${report.purged_total} events purged over ${report.accounts.filter((a) => a.purged > 0).length} accounts; partitions dropped: ${report.partitions_dropped.join(', ') || 'none'}`,
    );
    return report;
  }
}
