import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { type AppConfig, Database, EventWriter, ormOptions } from '@audit-trail/platform';
import Redis from 'ioredis';
import { MetricsService } from './metrics.service';
import { CONFIG, REDIS } from './tokens';
import { TenantOrm } from './tenant-orm';

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
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: Database, useFactory: () => new Database(config.APP_DATABASE_URL, config.DB_POOL_SIZE) },
        MetricsService,
        {
          provide: EventWriter,
          inject: [Database, MetricsService],
          useFactory: (db: Database, metrics: MetricsService) =>
            new EventWriter(db, { onCommitted: (n) => metrics.eventsIngested.inc(n) }),
        },
        {
          provide: REDIS,
          useFactory: () =>
            new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false, connectTimeout: 3000 }),
        },
        TenantOrm,
      ],
      exports: [CONFIG, Database, MetricsService, EventWriter, REDIS, TenantOrm],
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
