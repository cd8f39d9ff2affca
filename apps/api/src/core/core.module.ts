import { MikroOrmModule } from '@mikro-orm/nestjs';
import { BullModule } from '@nestjs/bullmq';
import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { MikroORM } from '@mikro-orm/postgresql';
import { Database, ormOptions, TenantOrm } from '@audit-trail/data';
import { DEFAULT_JOB_OPTIONS, QUEUES, redisConnection } from '@audit-trail/queues';
import { AuditWriter, EventWriter } from '@audit-trail/engines';
import Redis from 'ioredis';
import { MailerService } from './mailer.service';
import { MetricsService } from './metrics.service';
import { CONFIG, REDIS } from './tokens';

@Global()
@Module({})
export class CoreModule implements OnApplicationShutdown {
  static forRoot(config: AppConfig) {
    return {
      module: CoreModule,
      imports: [
        MikroOrmModule.forRoot({
          ...ormOptions(config.APP_DATABASE_URL),
          pool: { min: 0, max: 10 },
          registerRequestContext: false,
        }),
        BullModule.forRoot({ connection: redisConnection(config.REDIS_URL), prefix: config.QUEUE_PREFIX, defaultJobOptions: DEFAULT_JOB_OPTIONS }),
        BullModule.registerQueue({ name: QUEUES.exports }, { name: QUEUES.retention }),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: Database, useFactory: () => new Database(config.APP_DATABASE_URL, config.DB_POOL_SIZE) },
        MetricsService,
        MailerService,
        {
          provide: EventWriter,
          inject: [Database, MetricsService],
          useFactory: (db: Database, metrics: MetricsService) =>
            new EventWriter(db, { onCommitted: (n) => metrics.eventsIngested.inc(n) }),
        },
        { provide: AuditWriter, inject: [Database, EventWriter], useFactory: (db: Database, writer: EventWriter) => new AuditWriter(db, writer) },
        {
          provide: REDIS,
          useFactory: () => {
            const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false, connectTimeout: 3000 });
            // While Redis is down ioredis reconnects on its own; a command fails (503) meanwhile. Say so once, not on every retry.
            let down = false;
            redis.on('error', (err: Error) => {
              if (!down) console.warn(`Redis unavailable (${err.message}); reconnecting`);
              down = true;
            });
            redis.on('ready', () => (down = false));
            return redis;
          },
        },
        { provide: TenantOrm, inject: [MikroORM], useFactory: (orm: MikroORM) => new TenantOrm(orm) },
      ],
      exports: [CONFIG, Database, MetricsService, MailerService, EventWriter, AuditWriter, REDIS, TenantOrm, BullModule],
    };
  }

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(EventWriter) private readonly writer: EventWriter,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.writer.drain();
    await this.db.close();
    this.redis.disconnect();
  }
}
