import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { Database, readOn, type ReplicaSet } from '@audit-trail/data';
import { QUEUES, type RunExportPayload } from '@audit-trail/queues';
import { failExport, LocalExportStorage, runExport, sealAccountNow, type SigningKey } from '@audit-trail/engines';
import type { Job } from 'bullmq';
import { CONFIG, REPLICAS, SIGNING_KEY } from './tokens';

/**
 * Writes export files. One at a time per worker: an export is I/O and memory
 * heavy. A worker killed mid-export loses its lock after EXPORT_LOCK_MS and
 * BullMQ hands the job to the next worker, which rewrites the file.
 */
@Processor(QUEUES.exports, {
  concurrency: 1,
  lockDuration: Number(process.env.EXPORT_LOCK_MS ?? 30_000),
  stalledInterval: Number(process.env.EXPORT_LOCK_MS ?? 30_000),
})
export class ExportProcessor extends WorkerHost {
  private readonly logger = new Logger(ExportProcessor.name);
  private readonly storage: LocalExportStorage;

  constructor(
    private readonly db: Database,
    @Inject(REPLICAS) private readonly replicas: ReplicaSet | null,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(SIGNING_KEY) private readonly key: SigningKey,
  ) {
    super();
    this.storage = new LocalExportStorage(config.EXPORT_DIR);
  }

  async process(job: Job<RunExportPayload>) {
    const { exportId, accountId } = job.data;
    // With integrity proofs: seal this account's logs and checkpoint them now, so the export's signed manifest covers its rows.
    const logs = await sealAccountNow(this.db, this.key, accountId);
    const opts = {
      manifestKey: logs.length > 0 ? this.key : undefined,
      fetchRows: this.config.EXPORT_FETCH_ROWS,
      progressEveryMs: this.config.EXPORT_PROGRESS_MS,
      keepForMs: this.config.EXPORT_KEEP_DAYS * 86_400_000,
    };
    // With read replicas: the rows come from one that has replayed everything up to now (the request, the sealing
    // just done), waiting a little for it; a replica failing mid-read hands the export to the primary.
    const fence = this.replicas ? await this.replicas.primaryLsn() : null;
    await this.replicas?.waitFor(fence, Math.min(2000, this.config.REPLICA_MAX_LAG_MS));
    let readFrom: 'replica' | 'primary' = 'primary';
    const result = await readOn(this.replicas, this.db, fence, (reader) => runExport(this.db, this.storage, exportId, accountId, { ...opts, reader }), (t) => (readFrom = t));
    if (result) this.logger.log(`export ${exportId}: ${result.rows} rows, ${result.bytes} bytes${this.replicas ? ` (read from the ${readFrom})` : ''}`);
    return result ?? { skipped: true };
  }

  /**
   * An attempt failed. When BullMQ will not try again — the last attempt
   * failed, or the job stalled more often than allowed (a worker killed
   * mid-export), which does not count as an attempt — say why on the
   * export, where the console and API show it, and remove its partial file.
   */
  @OnWorkerEvent('failed')
  async onFailed(job: Job<RunExportPayload> | undefined, err: Error) {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    this.logger.warn(`export ${job.data.exportId} attempt ${job.attemptsMade}/${attempts} failed: ${err.message}`);
    const final = (await job.getState()) === 'failed';
    if (final) await failExport(this.db, this.storage, job.data.exportId, job.data.accountId, `The export failed: ${err.message}`);
  }
}
