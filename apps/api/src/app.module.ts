import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { RedisClient } from '@audit-trail/queues';
import { RedisThrottlerStorage } from './auth/redis-throttler.storage';
import { REDIS } from './core/tokens';
import type { AppConfig } from '@audit-trail/config';
import { AccessGuard } from './auth/access.guard';
import { IdentityModule } from './auth/identity.module';
import { BillingModule } from './billing/billing.module';
import { ProblemFilter } from './common/problem.filter';
import { CoreModule } from './core/core.module';
import { EventsModule } from './events/events.module';
import { ExportsModule } from './exports/exports.module';
import { ForwardingModule } from './forwarding/forwarding.module';
import { HealthController } from './health/health.controller';
import { IntegrityModule } from './integrity/integrity.module';
import { OpenApiController } from './openapi/openapi.controller';
import { OpenApiService } from './openapi/openapi.service';
import { OperatorModule } from './operator/operator.module';
import { RetentionModule } from './retention/retention.module';
import { SavedSearchesModule } from './saved-searches/saved-searches.controller';
import { AuditModule } from './self-audit/audit.module';
import { ConsoleModule } from './web/console.module';
import { ScimModule } from './scim/scim.module';
import { ViewerModule } from './viewer/viewer.module';

/**
 * The API: infrastructure (CoreModule), what every feature shares
 * (AuditModule), one module per feature, and the console's routes last.
 * Health, metrics and the OpenAPI document live here.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        DiscoveryModule,
        // Credential-guessing endpoints (sign-in, sign-up, invitation acceptance): per client IP.
        ThrottlerModule.forRootAsync({
          inject: [REDIS],
          // Counted in Redis: every API process shares the limit.
          useFactory: (redis: RedisClient) => ({
            throttlers: [{ name: 'default', ttl: 60_000, limit: config.AUTH_RATE_LIMIT_PER_MINUTE }],
            storage: new RedisThrottlerStorage(redis, config.QUEUE_PREFIX),
          }),
        }),
        AuditModule,
        IdentityModule,
        ScimModule,
        EventsModule,
        SavedSearchesModule,
        ViewerModule,
        ExportsModule,
        ForwardingModule,
        IntegrityModule,
        RetentionModule,
        BillingModule,
        OperatorModule,
        // Last: the console's client-side routes.
        ConsoleModule,
      ],
      controllers: [HealthController, OpenApiController],
      providers: [{ provide: APP_GUARD, useClass: AccessGuard }, { provide: APP_FILTER, useClass: ProblemFilter }, OpenApiService],
    };
  }
}
