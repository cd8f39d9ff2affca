import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { exportListSchema, exportRequestSchema, exportViewSchema } from '@audit-trail/audit-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { uuidPipe } from '../accounts/accounts.controller';
import { Public, RequiresEntitlement, RequiresScope } from '../auth/decorators';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { ExportsService } from './exports.service';

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson' } as const;

function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

@Controller('v1/exports')
@RequiresEntitlement('audit_log')
export class ExportsController {
  constructor(private readonly exports: ExportsService) {}

  @Post()
  @RequiresScope('exports:write')
  @HttpCode(202)
  @Doc({ summary: 'Export a log (CSV or NDJSON) with the query filters; the worker writes the file', body: exportRequestSchema, response: exportViewSchema, tag: 'Exports' })
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta, @Req() req: FastifyRequest) {
    return this.exports.create(p, parseBody(exportRequestSchema, body), meta, baseUrl(req));
  }

  @Get()
  @RequiresScope('events:read')
  @Doc({ summary: 'Recent exports', response: exportListSchema, tag: 'Exports' })
  async list(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest) {
    return { data: await this.exports.list(p, baseUrl(req)), next_cursor: null };
  }

  @Get(':id')
  @RequiresScope('events:read')
  @Doc({ summary: 'Status and progress of an export; a fresh signed download_url once completed', response: exportViewSchema, tag: 'Exports' })
  get(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Req() req: FastifyRequest) {
    return this.exports.get(p, id, baseUrl(req));
  }

  /** The signed link is the credential: it names the account, the export and an expiry. */
  @Get(':id/download')
  @Public()
  @Doc({ summary: 'Download an export file with the signed token from download_url', tag: 'Exports' })
  async download(@Param('id', uuidPipe) id: string, @Query('token') token: string | undefined, @Meta() meta: RequestMeta, @Res() reply: FastifyReply) {
    const { stream, e } = await this.exports.download(id, token, meta);
    const name = `audit-log-${e.id}.${e.format}${e.gzip ? '.gz' : ''}`;
    return reply
      .header('content-type', e.gzip ? 'application/gzip' : CONTENT_TYPES[e.format])
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('cache-control', 'private, no-store')
      .header('x-content-sha256', e.sha256 ?? '')
      .send(stream);
  }

  @Get(':id/manifest')
  @Public()
  @Doc({ summary: 'The signed manifest of an export (plans with integrity proofs), with the same signed token', tag: 'Exports' })
  async manifest(@Param('id', uuidPipe) id: string, @Query('token') token: string | undefined, @Res() reply: FastifyReply) {
    const { stream, e } = await this.exports.manifest(id, token);
    return reply
      .header('content-type', 'application/json')
      .header('content-disposition', `attachment; filename="audit-log-${e.id}.manifest.json"`)
      .header('cache-control', 'private, no-store')
      .send(stream);
  }
}
