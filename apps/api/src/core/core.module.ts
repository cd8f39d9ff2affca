import { MikroOrmModule } from '@mikro-orm/nestjs';
import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { Global, Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { MikroORM } from '@mikro-orm/postgresql';
import { Database, ormOptions, TenantOrm } from '@audit-trail/data';
import { bullConnection, closeBullConnection, createRedis, DEFAULT_JOB_OPTIONS, QUEUES, queuePrefix, type RedisClient } from '@audit-trail/queues';
import { AuditWriter, EventWriter } from '@audit-trail/engines';
import { MailerService } from './mailer.service';
import { MetricsService } from './metrics.service';
import { ReadRouter } from './read-router';
import { BULL_CONNECTION, CONFIG, REDIS } from './tokens';
import type { ConnectionOptions, Queue } from 'bullmq';

@Global()
@Module({})
export class CoreModule implements OnModuleInit, OnApplicationShutdown {
  static forRoot(config: AppConfig) {
    const bull = bullConnection(config.REDIS_URL);
    return {
      module: CoreModule,
      imports: [
        MikroOrmModule.forRoot({
          ...ormOptions(config.APP_DATABASE_URL),
          pool: { min: 0, max: 10 },
          registerRequestContext: false,
        }),
        BullModule.forRoot({ connection: bull, prefix: config.QUEUE_PREFIX, defaultJobOptions: DEFAULT_JOB_OPTIONS }),
        BullModule.registerQueue(...[QUEUES.exports, QUEUES.retention].map((name) => ({ name, prefix: queuePrefix(config.QUEUE_PREFIX, name) }))),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: BULL_CONNECTION, useValue: bull },
        { provide: Database, useFactory: () => new Database(config.APP_DATABASE_URL, config.DB_POOL_SIZE) },
        MetricsService,
        MailerService,
        ReadRouter,
        {
          provide: EventWriter,
          inject: [Database, MetricsService],
          useFactory: (db: Database, metrics: MetricsService) =>
            new EventWriter(db, { onCommitted: (n) => metrics.eventsIngested.inc(n) }),
        },
        { provide: AuditWriter, inject: [Database, EventWriter], useFactory: (db: Database, writer: EventWriter) => new AuditWriter(db, writer) },
        {
          provide: REDIS,
          useFactory: async () => {
            const redis = createRedis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false, connectTimeout: 3000 });
            // Commands are refused until the connection (a cluster's slot map too) is ready: wait for it at start, up to 3 s.
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 3000);
              redis.once('ready', () => (clearTimeout(timer), resolve()));
            });
            // While Redis is down ioredis reconnects on its own; a command fails (503) meanwhile. Say so once, not on every retry.
            let down = false;
            redis.on('error', (err: Error) => {
              if (!down) new Logger('Redis').warn(`Redis unavailable (${err.message}); reconnecting`);
              down = true;
            });
            redis.on('ready', () => (down = false));
            return redis;
          },
        },
        { provide: TenantOrm, inject: [MikroORM], useFactory: (orm: MikroORM) => new TenantOrm(orm) },
      ],
      exports: [CONFIG, Database, ReadRouter, MetricsService, MailerService, EventWriter, AuditWriter, REDIS, TenantOrm, BullModule],
    };
  }

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(EventWriter) private readonly writer: EventWriter,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(BULL_CONNECTION) private readonly bull: ConnectionOptions,
    @InjectQueue(QUEUES.exports) private readonly exportsQueue: Queue,
    @InjectQueue(QUEUES.retention) private readonly retentionQueue: Queue,
  ) {}

  /**
   * While Redis is down (or Sentinel is failing over) the queues reconnect on
   * their own and emit an error each try; without a listener BullMQ prints
   * each one with its stack. One warning per outage instead.
   */
  onModuleInit(): void {
    const logger = new Logger('Redis');
    let down = false;
    for (const q of [this.exportsQueue, this.retentionQueue]) {
      q.on('error', (err: Error) => {
        if (!down) logger.warn(`queue connection lost (${err.message}); reconnecting`);
        down = true;
      });
    }
    this.redis.on('ready', () => (down = false));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.writer.drain();
    await this.db.close();
    this.redis.disconnect();
    closeBullConnection(this.bull);
  }
}
