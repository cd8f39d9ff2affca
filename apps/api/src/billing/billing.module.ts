import { Module } from '@nestjs/common';
import { BillingController } from './billing.controller';
import { BillingService } from './billing.service';
import { PlanService } from './plan.service';

/** Stripe checkout, portal and webhooks, and the one place a plan changes. */
@Module({ controllers: [BillingController], providers: [BillingService, PlanService], exports: [PlanService] })
export class BillingModule {}
