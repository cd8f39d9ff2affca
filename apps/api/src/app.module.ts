import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '@audit-trail/config';
import { AccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysService } from './api-keys/api-keys.service';
import { AccessGuard } from './auth/access.guard';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { PrincipalResolver } from './auth/principal.resolver';
import { CatalogController } from './catalog/catalog.controller';
import { CatalogService } from './catalog/catalog.service';
import { BillingController } from './billing/billing.controller';
import { BillingService } from './billing/billing.service';
import { PlanService } from './billing/plan.service';
import { ProblemFilter } from './common/problem.filter';
import { CoreModule } from './core/core.module';
import { EventsController } from './events/events.controller';
import { ExportsController } from './exports/exports.controller';
import { ExportsService } from './exports/exports.service';
import { EventsService } from './events/events.service';
import { WorkspaceDirectory } from './events/workspace-directory';
import { HealthController } from './health/health.controller';
import { MembersController } from './members/members.controller';
import { MembersService } from './members/members.service';
import { OpenApiController } from './openapi/openapi.controller';
import { OpenApiService } from './openapi/openapi.service';
import { OperatorController } from './operator/operator.controller';
import { ForwardingController } from './forwarding/forwarding.controller';
import { ForwardingService } from './forwarding/forwarding.service';
import { EventProofController, IntegrityController } from './integrity/integrity.controller';
import { IntegrityService } from './integrity/integrity.service';
import { LegalHoldsController } from './retention/legal-holds.controller';
import { RetentionService } from './retention/retention.service';
import { ReadAuditService } from './self-audit/read-audit.service';
import { SelfAuditService } from './self-audit/self-audit.service';
import { WebController } from './web/web.controller';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        DiscoveryModule,
        // Credential-guessing endpoints (sign-in, sign-up, invitation acceptance): per client IP.
        ThrottlerModule.forRoot([{ name: 'default', ttl: 60_000, limit: config.AUTH_RATE_LIMIT_PER_MINUTE }]),
      ],
      controllers: [
        HealthController,
        OpenApiController,
        AuthController,
        AccountsController,
        MembersController,
        ApiKeysController,
        EventsController,
        CatalogController,
        ExportsController,
        ForwardingController,
        IntegrityController,
        EventProofController,
        LegalHoldsController,
        OperatorController,
        BillingController,
        // Last: the console's client-side routes.
        WebController,
      ],
      providers: [
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        PrincipalResolver,
        SelfAuditService,
        ReadAuditService,
        AuthService,
        AccountsService,
        MembersService,
        ApiKeysService,
        EventsService,
        CatalogService,
        ExportsService,
        WorkspaceDirectory,
        PlanService,
        RetentionService,
        ForwardingService,
        IntegrityService,
        BillingService,
        OpenApiService,
      ],
    };
  }
}
