import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import type { AppConfig } from '@audit-trail/config';
import { type BooleanEntitlement, hasEntitlement } from '@audit-trail/plans';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators';
import { PrincipalResolver } from '../auth/principal.resolver';
import { API_KEY_PREFIX, SESSION_COOKIE } from '../auth/secrets';
import { CONFIG } from '../core/tokens';
import { OpenApiService } from './openapi.service';

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Audit Trail API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script></body></html>`;

@Controller()
@Public()
export class OpenApiController {
  constructor(
    private readonly openapi: OpenApiService,
    private readonly resolver: PrincipalResolver,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  /** Anonymous callers see the whole contract; a signed-in tenant sees only what its plan includes. */
  @Get('openapi.json')
  async spec(@Req() req: FastifyRequest) {
    const auth = req.headers.authorization;
    const key = typeof auth === 'string' ? /^Bearer\s+(\S+)/i.exec(auth)?.[1] : undefined;
    const cookie = req.cookies?.[SESSION_COOKIE];
    const principal = key?.startsWith(API_KEY_PREFIX)
      ? await this.resolver.apiKey(key)
      : cookie
        ? await this.resolver.session(cookie)
        : null;
    const entitled = principal ? (f: string) => hasEntitlement(principal.plan, f as BooleanEntitlement) : null;
    return this.openapi.document(entitled, !!this.config.OPERATOR_TOKEN);
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  docs() {
    return DOCS_HTML;
  }

  @Get('docs/assets/init.js')
  @Header('content-type', 'application/javascript; charset=utf-8')
  init() {
    return `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });`;
  }
}
