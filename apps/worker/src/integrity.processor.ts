import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { Database } from '@audit-trail/data';
import { QUEUES } from '@audit-trail/queues';
import { type SealOptions, sealAllLogs, type SigningKey } from '@audit-trail/engines';
import { CONFIG, SIGNING_KEY } from './tokens';

/**
 * Seals every log of every account with integrity proofs: new events get
 * their positions and leaf hashes in commit order, and signed checkpoints
 * follow at least once a minute while events arrive and once an hour while
 * none do. Runs on a job scheduler; a round repeated is harmless (each log is
 * locked while it is sealed).
 */
@Processor(QUEUES.integrity, { concurrency: 1 })
export class IntegrityProcessor extends WorkerHost {
  private readonly logger = new Logger(IntegrityProcessor.name);
  readonly options: SealOptions;

  constructor(
    private readonly db: Database,
    @Inject(SIGNING_KEY) private readonly key: SigningKey,
    @Inject(CONFIG) config: AppConfig,
  ) {
    super();
    this.options = { checkpointEveryMs: config.INTEGRITY_CHECKPOINT_MS, quietCheckpointMs: 3_600_000 };
  }

  async process(): Promise<{ logs: number; sealed: number; checkpoints: number }> {
    return this.sealAll();
  }

  async sealAll(now?: Date): Promise<{ logs: number; sealed: number; checkpoints: number }> {
    const r = await sealAllLogs(this.db, this.key, { ...this.options, now });
    for (const a of r.anomalies) this.logger.warn(`log ${a.logId}: ${a.count} rows written into the past were not sealed`);
    return { logs: r.logs, sealed: r.sealed, checkpoints: r.checkpoints };
  }
}
