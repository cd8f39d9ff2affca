import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { RetentionModule } from '../retention/retention.module';
import { OperatorController } from './operator.controller';

/** Platform staff only (OPERATOR_TOKEN): set a plan, run retention now. */
@Module({ imports: [BillingModule, RetentionModule], controllers: [OperatorController] })
export class OperatorModule {}
