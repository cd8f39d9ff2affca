import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { EventProofController, IntegrityController } from './integrity.controller';
import { IntegrityService } from './integrity.service';

/** Public keys, checkpoints, verification and proofs; the worker seals. */
@Module({ imports: [EventsModule], controllers: [IntegrityController, EventProofController], providers: [IntegrityService] })
export class IntegrityModule {}
