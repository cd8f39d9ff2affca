import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { Database, type EnsurePartitionsPayload, JOBS, QUEUES } from '@audit-trail/platform';
import type { Job } from 'bullmq';

/** Keeps the audit_events partitions of the coming months created ahead of ingest. */
@Processor(QUEUES.maintenance)
export class MaintenanceProcessor extends WorkerHost {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  constructor(private readonly db: Database) {
    super();
  }

  async process(job: Job<EnsurePartitionsPayload>): Promise<{ created: string[] }> {
    switch (job.name) {
      case JOBS.ensurePartitions:
        return this.ensurePartitions(job.data.monthsAhead);
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
}
