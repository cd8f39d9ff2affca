import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { viewerEntrySchema, viewerEventQuerySchema, viewerPageSchema, viewerTokenRequestSchema, viewerTokenSchema } from '@audit-trail/audit-core';
import { RequiresEntitlement, RequiresScope, ViewerRoute } from '../auth/decorators';
import { CurrentPrincipal, CurrentViewer, Meta, type Principal, type RequestMeta, type ViewerReading } from '../common/principal';
import { parseBody, parseQuery } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { ViewerService } from './viewer.service';

@Controller('v1')
@RequiresEntitlement('audit_log')
export class ViewerController {
  constructor(private readonly viewer: ViewerService) {}

  @Post('viewer-tokens')
  @RequiresScope('admin')
  @HttpCode(201)
  @Doc({ summary: "Mint a short-lived token that lets one of your own customers read a slice of one log (the embedded viewer)", body: viewerTokenRequestSchema, response: viewerTokenSchema, tag: 'Viewer' })
  mint(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.viewer.mint(p, parseBody(viewerTokenRequestSchema, body), meta);
  }

  @Get('viewer/events')
  @ViewerRoute()
  @Doc({ summary: "A viewer token's slice of its log, newest first; the query narrows the slice, never widens it", query: viewerEventQuerySchema, response: viewerPageSchema, tag: 'Viewer' })
  query(@CurrentViewer() v: ViewerReading, @Query() query: unknown, @Meta() meta: RequestMeta) {
    return this.viewer.query(v, parseQuery(viewerEventQuerySchema, query), meta);
  }

  @Get('viewer/events/:id')
  @ViewerRoute()
  @Doc({ summary: "One entry of a viewer token's slice (404 outside it)", response: viewerEntrySchema, tag: 'Viewer' })
  get(@CurrentViewer() v: ViewerReading, @Param('id') id: string, @Meta() meta: RequestMeta) {
    return this.viewer.get(v, id, meta);
  }
}
