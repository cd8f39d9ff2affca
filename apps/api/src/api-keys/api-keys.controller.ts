import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { keyActivityQuerySchema } from '@audit-trail/audit-core';
import { uuidPipe } from '../accounts/accounts.controller';
import { RequiresScope } from '../auth/decorators';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody, parseQuery } from '../common/zod';
import { RequiresEntitlement } from '../auth/decorators';
import { EventsService } from '../events/events.service';
import { AppError, ErrorCode } from '../common/errors';
import { Doc } from '../openapi/doc.decorator';
import { ApiKeysService, createKeySchema } from './api-keys.service';

@Controller('v1/api-keys')
@RequiresScope('admin')
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly events: EventsService,
  ) {}

  @Get()
  @Doc({ summary: 'List API keys (never their secrets): active ones, and with include=revoked the revoked ones too', tag: 'API keys' })
  async list(@CurrentPrincipal() p: Principal, @Query('include') include?: string) {
    if (include !== undefined && include !== 'revoked') throw new AppError(ErrorCode.Malformed, 'include takes the value revoked.', [{ path: 'include', message: 'must be revoked' }]);
    return { data: await this.keys.list(p, include === 'revoked'), next_cursor: null };
  }

  @Get(':id/activity')
  @RequiresEntitlement('audit_log')
  @Doc({ summary: 'Everything one key did across every log of the account, newest first: the events it sent and the administration it performed', query: keyActivityQuerySchema, tag: 'API keys' })
  activity(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Query() query: unknown, @Meta() meta: RequestMeta) {
    return this.events.keyActivity(p, id, parseQuery(keyActivityQuerySchema, query), meta);
  }

  @Post()
  @HttpCode(201)
  @Doc({ summary: 'Create an API key; the key is in this answer only', body: createKeySchema, tag: 'API keys' })
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.keys.create(p, parseBody(createKeySchema, body), meta);
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @Doc({ summary: 'Rotate: a new secret replaces the old one at once', tag: 'API keys' })
  rotate(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    return this.keys.rotate(p, id, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @Doc({ summary: 'Revoke an API key', tag: 'API keys' })
  async revoke(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    await this.keys.revoke(p, id, meta);
  }
}
