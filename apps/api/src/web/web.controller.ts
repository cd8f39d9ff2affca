import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { AppConfig } from '@audit-trail/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '../auth/decorators';
import { RouteHiddenError } from '../common/errors';
import { CONFIG } from '../core/tokens';

const API_PREFIXES = ['/v1/', '/v1', '/docs', '/openapi.json', '/metrics', '/healthz', '/readyz', '/assets/'];

/** Serves the console's index.html for its client-side routes; everything else is a plain 404. */
@Controller()
@Public()
export class WebController {
  private indexHtml: string | null = null;

  constructor(@Inject(CONFIG) private readonly config: AppConfig) {}

  private index(): string | null {
    if (this.indexHtml !== null) return this.indexHtml;
    const dir = this.config.WEB_DIST;
    if (!dir || !existsSync(join(dir, 'index.html'))) return null;
    this.indexHtml = readFileSync(join(dir, 'index.html'), 'utf8');
    return this.indexHtml;
  }

  @Get(['/', '*'])
  page(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const path = req.url.split('?')[0];
    const html = this.index();
    if (!html || API_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`))) throw new RouteHiddenError();
    void reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  }
}
