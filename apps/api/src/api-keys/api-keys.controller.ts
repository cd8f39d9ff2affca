import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { uuidPipe } from '../accounts/accounts.controller';
import { RequiresScope } from '../auth/decorators';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { ApiKeysService, createKeySchema } from './api-keys.service';

@Controller('v1/api-keys')
@RequiresScope('admin')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @Doc({ summary: 'List active API keys (never their secrets)', tag: 'API keys' })
  async list(@CurrentPrincipal() p: Principal) {
    return { data: await this.keys.list(p), next_cursor: null };
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
