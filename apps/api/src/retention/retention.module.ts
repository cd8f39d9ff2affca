import { Module } from '@nestjs/common';
import { LegalHoldsController } from './legal-holds.controller';
import { RetentionService } from './retention.service';

/** Retention periods, the next purge, legal holds; the purge itself runs in the worker. */
@Module({
  controllers: [LegalHoldsController],
  providers: [RetentionService],
  exports: [RetentionService],
})
export class RetentionModule {}
