import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { ExportsController } from './exports.controller';
import { ExportsService } from './exports.service';

/** Export requests, their progress and signed download links; the worker writes the files. */
@Module({ imports: [EventsModule], controllers: [ExportsController], providers: [ExportsService] })
export class ExportsModule {}
