import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type AppConfig, Database, DEFAULT_JOB_OPTIONS, JOBS, QUEUES, WORKER_HEARTBEAT_KEY } from '@audit-trail/platform';
import type { Queue } from 'bullmq';
import Redis from 'ioredis';
import { MaintenanceProcessor } from './maintenance.processor';

export const CONFIG = Symbol('CONFIG');
const HEARTBEAT_REDIS = Symbol('HEARTBEAT_REDIS');

@Module({})
export class WorkerModule implements OnApplicationBootstrap, OnApplicationShutdown {
  static forRoot(config: AppConfig) {
    const redis = new URL(config.REDIS_URL);
    return {
      module: WorkerModule,
      imports: [
        BullModule.forRoot({
          connection: {
            host: redis.hostname,
            port: Number(redis.port || 6379),
            password: redis.password || undefined,
            db: redis.pathname.length > 1 ? Number(redis.pathname.slice(1)) : 0,
            maxRetriesPerRequest: null,
          },
          prefix: config.QUEUE_PREFIX,
          defaultJobOptions: DEFAULT_JOB_OPTIONS,
        }),
        BullModule.registerQueue({ name: QUEUES.maintenance }),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: Database, useFactory: () => new Database(config.APP_DATABASE_URL, 5) },
        { provide: HEARTBEAT_REDIS, useFactory: () => new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 }) },
        MaintenanceProcessor,
      ],
    };
  }

  private heartbeat?: NodeJS.Timeout;

  constructor(
    @InjectQueue(QUEUES.maintenance) private readonly maintenance: Queue,
    @Inject(Database) private readonly db: Database,
    @Inject(HEARTBEAT_REDIS) private readonly redis: Redis,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Daily, and once at start; the scheduler id makes repeated starts idempotent.
    await this.maintenance.upsertJobScheduler(
      'ensure-partitions-daily',
      { pattern: '17 3 * * *', tz: 'UTC' },
      { name: JOBS.ensurePartitions, data: { monthsAhead: 3 } },
    );
    await this.maintenance.add(JOBS.ensurePartitions, { monthsAhead: 3 }, { jobId: `ensure-partitions-boot-${new Date().toISOString().slice(0, 10)}` });
    const beat = () => void this.redis.set(WORKER_HEARTBEAT_KEY, new Date().toISOString(), 'EX', 60).catch(() => undefined);
    beat();
    this.heartbeat = setInterval(beat, 15_000);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.db.close();
    this.redis.disconnect();
  }
}
