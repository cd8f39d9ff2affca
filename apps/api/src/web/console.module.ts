import { Module } from '@nestjs/common';
import { WebController } from './web.controller';

/** The console's built files and its client-side routes: imported last, after every API route. */
@Module({ controllers: [WebController] })
export class ConsoleModule {}
