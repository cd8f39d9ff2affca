import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { ViewerController } from './viewer.controller';
import { ViewerService } from './viewer.service';

/** The embedded viewer: tokens for a tenant's own customers, and the reads those tokens allow. */
@Module({
  imports: [EventsModule],
  controllers: [ViewerController],
  providers: [ViewerService],
})
export class ViewerModule {}
