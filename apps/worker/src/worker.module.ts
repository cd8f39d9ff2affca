import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, Inject, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { Database, ReplicaSet } from '@audit-trail/data';
import { bullConnection, closeBullConnection, createRedis, DEFAULT_JOB_OPTIONS, JOBS, QUEUES, queuePrefix, type Schedule, schedules, workerHeartbeatKey } from '@audit-trail/queues';
import { loadSigningKey, registerKey, type SigningKey } from '@audit-trail/engines';
import type { ConnectionOptions, Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { ExportProcessor } from './export.processor';
import { MaintenanceProcessor } from './maintenance.processor';
import { ForwardingProcessor } from './forwarding.processor';
import { IntegrityProcessor } from './integrity.processor';
import { RetentionProcessor } from './retention.processor';
import { CONFIG, REPLICAS, RETENTION_DB, SIGNING_KEY } from './tokens';

const HEARTBEAT_REDIS = Symbol('HEARTBEAT_REDIS');
const BULL_CONNECTION = Symbol('BULL_CONNECTION');

@Module({})
export class WorkerModule implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  static forRoot(config: AppConfig) {
    const bull = bullConnection(config.REDIS_URL);
    return {
      module: WorkerModule,
      imports: [
        BullModule.forRoot({
          connection: bull,
          prefix: config.QUEUE_PREFIX,
          defaultJobOptions: DEFAULT_JOB_OPTIONS,
        }),
        // Each queue under its own hash tag (queuePrefix): on a cluster its keys share a slot, and the queues spread over the masters.
        BullModule.registerQueue(...Object.values(QUEUES).map((name) => ({ name, prefix: queuePrefix(config.QUEUE_PREFIX, name) }))),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: BULL_CONNECTION, useValue: bull },
        { provide: Database, useFactory: () => new Database(config.APP_DATABASE_URL, 5) },
        // Exports read from a streaming replica when DATABASE_REPLICA_URLS names one that is usable.
        {
          provide: REPLICAS,
          inject: [Database],
          useFactory: (db: Database) => {
            const urls = config.DATABASE_REPLICA_URLS ?? [];
            if (!urls.length) return null;
            const log = new Logger('replicas');
            const set = new ReplicaSet(db, urls, {
              maxLagMs: config.REPLICA_MAX_LAG_MS,
              pollMs: config.REPLICA_POLL_MS,
              poolSize: 2,
              onChange: (st) => (st.up ? log.log(`replica ${st.name} in use`) : log.warn(`replica ${st.name} not used: ${st.problem}`)),
            });
            void set.start();
            return set;
          },
        },
        // The only pool allowed to delete events (role audit_retention); used by the retention job alone.
        { provide: RETENTION_DB, useFactory: () => new Database(config.RETENTION_DATABASE_URL, 2) },
        // Checkpoints are signed with SIGNING_KEY, or a key generated into SIGNING_KEY_FILE on first start.
        { provide: SIGNING_KEY, useFactory: () => loadSigningKey(config.SIGNING_KEY, config.SIGNING_KEY_FILE) },
        { provide: HEARTBEAT_REDIS, useFactory: () => createRedis(config.REDIS_URL, { maxRetriesPerRequest: 1 }) },
        MaintenanceProcessor,
        ExportProcessor,
        RetentionProcessor,
        ForwardingProcessor,
        IntegrityProcessor,
      ],
    };
  }

  private heartbeat?: NodeJS.Timeout;
  /** Queues whose worker is closing (see beforeApplicationShutdown). */
  private readonly closing = new Set<string>();

  constructor(
    @InjectQueue(QUEUES.maintenance) private readonly maintenance: Queue,
    @InjectQueue(QUEUES.exports) private readonly exports: Queue,
    @InjectQueue(QUEUES.retention) private readonly retention: Queue,
    @InjectQueue(QUEUES.forwarding) private readonly forwarding: Queue,
    @InjectQueue(QUEUES.integrity) private readonly integrity: Queue,
    @Inject(SIGNING_KEY) private readonly signingKey: SigningKey,
    @Inject(Database) private readonly db: Database,
    @Inject(RETENTION_DB) private readonly retentionDb: Database,
    @Inject(REPLICAS) private readonly replicas: ReplicaSet | null,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(HEARTBEAT_REDIS) private readonly redis: Redis | Cluster,
    @Inject(BULL_CONNECTION) private readonly bull: ConnectionOptions,
    private readonly exportProcessor: ExportProcessor,
    private readonly maintenanceProcessor: MaintenanceProcessor,
    private readonly retentionProcessor: RetentionProcessor,
    private readonly forwardingProcessor: ForwardingProcessor,
    private readonly integrityProcessor: IntegrityProcessor,
  ) {}

  /**
   * While Redis is down every connection (workers, queues, the heartbeat)
   * reconnects on its own and emits an error each try. One warning per
   * outage, not a stack trace per retry; jobs resume when Redis returns.
   */
  private quietRedisErrors(): void {
    const logger = new Logger('Redis');
    let down = false;
    const onError = (err: Error) => {
      if (!down) logger.warn(`Redis unavailable (${err.message}); reconnecting`);
      down = true;
    };
    this.redis.on('ready', () => {
      if (down) logger.log('Redis is back');
      down = false;
    });
    const emitters: { on(event: 'error', fn: (err: Error) => void): unknown }[] = [
      this.redis,
      this.maintenance,
      this.exports,
      this.retention,
      this.forwarding,
      this.integrity,
      ...[this.exportProcessor, this.maintenanceProcessor, this.retentionProcessor, this.forwardingProcessor, this.integrityProcessor].map((p) => p.worker),
    ];
    for (const e of emitters) e.on('error', onError);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.quietRedisErrors();
    // Publish the signing key (older keys stay listed with the end of their validity).
    const client = await this.db.connect();
    try {
      await registerKey(client, this.signingKey);
    } finally {
      client.release();
    }
    await this.ensureSchedulers();
    await this.maintenance.add(JOBS.ensurePartitions, { monthsAhead: 3 }, { jobId: `ensure-partitions-boot-${new Date().toISOString().slice(0, 10)}` });
    const heartbeatKey = workerHeartbeatKey(this.config.QUEUE_PREFIX);
    const alive = () => void this.redis.set(heartbeatKey, new Date().toISOString(), 'EX', 60).catch(() => undefined);
    const beat = () => {
      alive();
      // A flushed or restarted Redis loses the schedules: put them back (upserts are idempotent).
      void this.ensureSchedulers().catch(() => undefined);
    };
    alive();
    this.heartbeat = setInterval(beat, this.config.WORKER_HEARTBEAT_MS);
  }

  /** The schedules declared in libs/queues, made true: upserted, or removed when switched off (idempotent). */
  async ensureSchedulers(): Promise<void> {
    const queues: Partial<Record<Schedule['queue'], Queue>> = {
      [QUEUES.maintenance]: this.maintenance,
      [QUEUES.retention]: this.retention,
      [QUEUES.integrity]: this.integrity,
      [QUEUES.forwarding]: this.forwarding,
    };
    for (const s of schedules(this.config)) {
      const q = queues[s.queue];
      if (!q) throw new Error(`no queue ${s.queue} for schedule ${s.id}`);
      if (s.repeat) await q.upsertJobScheduler(s.id, s.repeat, s.job);
      else await q.removeJobScheduler(s.id);
    }
  }

  /**
   * SIGTERM: stop taking jobs and let the running ones finish while the pool
   * is still open. @nestjs/bullmq closes its workers in onApplicationShutdown,
   * the same phase that closes the pool below, so without this the pool could
   * close under a running export. Worker.close() is idempotent.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const workers = [this.exportProcessor, this.maintenanceProcessor, this.retentionProcessor, this.forwardingProcessor, this.integrityProcessor].map((p) => p.worker);
    for (const w of workers) this.closing.add(w.name);
    await Promise.all(workers.map((w) => w.close().then(() => this.closing.delete(w.name))));
  }

  /** What a stop is still waiting for: queues whose worker has not closed (a running job), and whether Redis is out of reach. */
  stillClosing(): string[] {
    return [...[...this.closing].map((q) => `the ${q} worker`), ...(this.redis.status === 'ready' ? [] : ['Redis (out of reach)'])];
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.replicas?.close();
    await Promise.all([this.db.close(), this.retentionDb.close()]);
    this.redis.disconnect();
    closeBullConnection(this.bull);
  }
}
