import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { apiEventSchema, eventActivitySchema, eventBatchSchema, eventFeedQuerySchema, eventInputSchema, eventPageSchema, eventQuerySchema, feedPageSchema, ingestResultSchema, type EventInput } from '@audit-trail/audit-core';
import { RequiresEntitlement, RequiresScope } from '../auth/decorators';
import { AppError, ErrorCode } from '../common/errors';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody, parseQuery } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { EventsService } from './events.service';

@Controller('v1')
@RequiresEntitlement('audit_log')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Post('events')
  @RequiresScope('events:write')
  @HttpCode(202)
  @Doc({ summary: 'Ingest one event, or {"events": [...]} with up to 1,000; answered once committed', body: eventInputSchema, response: ingestResultSchema, tag: 'Events' })
  async ingest(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Headers('idempotency-key') idemHeader?: string) {
    let inputs: EventInput[];
    let prefix: (i: number) => string;
    if (body && typeof body === 'object' && !Array.isArray(body) && 'events' in body) {
      inputs = parseBody(eventBatchSchema, body).events;
      prefix = (i) => `events[${i}].`;
    } else {
      const one = parseBody(eventInputSchema, body);
      if (idemHeader !== undefined) {
        if (idemHeader.length < 1 || idemHeader.length > 255) {
          throw new AppError(ErrorCode.Malformed, 'The Idempotency-Key header must be 1 to 255 characters.');
        }
        one.idempotency_key ??= idemHeader;
      }
      inputs = [one];
      prefix = () => '';
    }
    return { ids: await this.events.ingest(p, inputs, prefix) };
  }

  @Get('events')
  @RequiresScope('events:read')
  @Doc({ summary: 'Read a log, newest first, with filters and keyset cursors', query: eventQuerySchema, response: eventPageSchema, tag: 'Events' })
  query(@CurrentPrincipal() p: Principal, @Query() query: unknown, @Meta() meta: RequestMeta) {
    return this.events.query(p, parseQuery(eventQuerySchema, query), meta);
  }

  @Get('events/feed')
  @RequiresScope('events:read')
  @Doc({ summary: 'One log in commit order after an opaque position, oldest first: a consumer that keeps next_position never misses or repeats an event', query: eventFeedQuerySchema, response: feedPageSchema, tag: 'Events' })
  feed(@CurrentPrincipal() p: Principal, @Query() query: unknown, @Meta() meta: RequestMeta) {
    return this.events.feed(p, parseQuery(eventFeedQuerySchema, query), meta);
  }

  @Get('events/activity')
  @RequiresScope('events:read')
  @Doc({ summary: 'Events per hour or day for the same filters as the query, zero-filled, in the given time zone (the console chart)', query: eventActivitySchema, tag: 'Events' })
  activity(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    return this.events.activity(p, parseQuery(eventActivitySchema, query));
  }

  @Get('events/:id')
  @RequiresScope('events:read')
  @Doc({ summary: 'One event (the console permalink)', response: apiEventSchema, tag: 'Events' })
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Meta() meta: RequestMeta) {
    return this.events.get(p, id, meta);
  }

  @Get('catalog')
  @RequiresScope('events:read')
  @Doc({ summary: 'Categories and actions with descriptions and counts', tag: 'Events' })
  catalog(@CurrentPrincipal() p: Principal) {
    return this.events.catalog(p);
  }
}
