import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { Database } from '@audit-trail/data';
import { QUEUES } from '@audit-trail/queues';
import { type SealOptions, type SigningKey, sealableLogs, sealLog } from '@audit-trail/engines';
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
    const logs = await sealableLogs(this.db);
    let sealed = 0;
    let checkpoints = 0;
    for (const ref of logs) {
      const r = await sealLog(this.db, this.key, ref, { ...this.options, now });
      sealed += r.sealed;
      if (r.checkpoint) checkpoints++;
      if (r.anomalies) this.logger.warn(`log ${ref.workspaceId ?? ref.accountId}: ${r.anomalies} rows written into the past were not sealed`);
    }
    return { logs: logs.length, sealed, checkpoints };
  }
}
