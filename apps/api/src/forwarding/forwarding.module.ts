import { Module } from '@nestjs/common';
import { ForwardingController } from './forwarding.controller';
import { ForwardingService } from './forwarding.service';

/** Destinations, their deliveries, tests and replays; the worker delivers. */
@Module({ controllers: [ForwardingController], providers: [ForwardingService] })
export class ForwardingModule {}
