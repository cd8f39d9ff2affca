import { Module } from '@nestjs/common';
import { CatalogController } from '../catalog/catalog.controller';
import { CatalogService } from '../catalog/catalog.service';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

/** Ingest, the log, the activity chart, single entries and the tenant's action catalog. */
@Module({
  controllers: [EventsController, CatalogController],
  providers: [EventsService, CatalogService],
  exports: [EventsService],
})
export class EventsModule {}
