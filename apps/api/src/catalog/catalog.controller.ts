import { Body, Controller, Delete, Get, HttpCode, Param, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RequiresEntitlement, RequiresScope } from '../auth/decorators';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { CatalogService, registerActionSchema } from './catalog.service';

/** A tenant's own actions. Listing (with the platform's) is GET /v1/catalog. */
@Controller('v1/catalog/actions')
@RequiresEntitlement('audit_log')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get(':action')
  @RequiresScope('events:read')
  @Doc({ summary: 'One registered action: category, description, metadata schema, version', tag: 'Events' })
  get(@CurrentPrincipal() p: Principal, @Param('action') action: string) {
    return this.catalog.get(p, action);
  }

  @Put(':action')
  @RequiresScope('admin')
  @Doc({ summary: 'Register or replace an action (201 when new); ingest then checks its metadata against metadata_schema (JSON Schema 2020-12)', body: registerActionSchema, tag: 'Events' })
  async put(@CurrentPrincipal() p: Principal, @Param('action') action: string, @Body() body: unknown, @Meta() meta: RequestMeta, @Res({ passthrough: true }) reply: FastifyReply) {
    const r = await this.catalog.register(p, action, parseBody(registerActionSchema, body), meta);
    void reply.status(r.created ? 201 : 200);
    return r.body;
  }

  @Delete(':action')
  @RequiresScope('admin')
  @HttpCode(204)
  @Doc({ summary: 'Remove a registered action (its events stay; new ones fall back to the built-in category)', tag: 'Events' })
  async remove(@CurrentPrincipal() p: Principal, @Param('action') action: string, @Meta() meta: RequestMeta) {
    await this.catalog.remove(p, action, meta);
  }
}
