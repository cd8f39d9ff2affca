import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { AppConfig } from '@audit-trail/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { uuidPipe } from '../accounts/accounts.controller';
import { Public, RequiresEntitlement, RequiresScope } from '../auth/decorators';
import { CSRF_COOKIE, SESSION_COOKIE } from '../auth/secrets';
import type { NewSession } from '../auth/auth.service';
import { AppError, ErrorCode } from '../common/errors';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody, parseQuery } from '../common/zod';
import { CONFIG } from '../core/tokens';
import { Doc } from '../openapi/doc.decorator';
import { ssoConnectionSchema, ssoDomainSchema, ssoEmailSchema, ssoStartQuerySchema } from './sso.schemas';
import { SSO_STATE_TTL_S, SsoService, SsoSignInError } from './sso.service';

export const SSO_STATE_COOKIE = 'at_sso_state';

/** The address people and identity providers reach us at: PUBLIC_URL, else the request's own host. */
export function publicBase(config: AppConfig, req: FastifyRequest): string {
  return (config.PUBLIC_URL ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`).replace(/\/+$/, '');
}

/** An account's single sign-on: the connection, its email domains (admins; Enterprise). */
@Controller('v1/sso')
@RequiresScope('admin')
@RequiresEntitlement('sso')
export class SsoSettingsController {
  constructor(
    private readonly sso: SsoService,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Doc({ summary: 'Single sign-on: the connection (never its secret), email domains, "SSO required", and the addresses to give the identity provider', tag: 'Identity' })
  get(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest) {
    return this.sso.settings(p, publicBase(this.config, req));
  }

  @Put('connection')
  @Doc({ summary: "Set up or change the account's OpenID Connect or SAML 2.0 connection (an OIDC issuer's discovery document is read now)", body: ssoConnectionSchema, tag: 'Identity' })
  configure(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta, @Req() req: FastifyRequest) {
    return this.sso.configure(p, parseBody(ssoConnectionSchema, body), meta, publicBase(this.config, req));
  }

  @Delete('connection')
  @HttpCode(204)
  @Doc({ summary: 'Remove the connection (not while SSO is required)', tag: 'Identity' })
  async remove(@CurrentPrincipal() p: Principal, @Meta() meta: RequestMeta) {
    await this.sso.remove(p, meta);
  }

  @Post('domains')
  @HttpCode(201)
  @Doc({ summary: 'Add an email domain; publish the TXT record it names, then verify', body: ssoDomainSchema, tag: 'Identity' })
  addDomain(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.sso.addDomain(p, parseBody(ssoDomainSchema, body).domain, meta);
  }

  @Post('domains/:id/verify')
  @HttpCode(200)
  @Doc({ summary: "Look up the domain's TXT record; found, the domain routes sign-in to this account's single sign-on", tag: 'Identity' })
  verify(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    return this.sso.verifyDomain(p, id, meta);
  }

  @Delete('domains/:id')
  @HttpCode(204)
  @Doc({ summary: 'Remove an email domain', tag: 'Identity' })
  async removeDomain(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    await this.sso.removeDomain(p, id, meta);
  }
}

/**
 * Signing in with single sign-on, before anyone is signed in: which
 * provider an email goes to, the start (a redirect to the provider), and
 * the two ways back (the OIDC redirect and the SAML assertion consumer).
 * A sign-in that fails lands on the console's sign-in page with a sentence.
 */
@Controller('v1/sso')
@Public()
export class SsoSignInController {
  constructor(
    private readonly sso: SsoService,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  private cookieOptions() {
    // A SAML provider POSTs back from its own site: only SameSite=None (which needs https) carries the cookie then.
    const secure = this.config.NODE_ENV === 'production';
    return { httpOnly: true, secure, sameSite: secure ? ('none' as const) : ('lax' as const), path: '/v1/sso' };
  }

  private signedIn(reply: FastifyReply, s: NewSession, base: string): void {
    const secure = this.config.NODE_ENV === 'production';
    void reply.clearCookie(SSO_STATE_COOKIE, this.cookieOptions());
    void reply.setCookie(SESSION_COOKIE, s.token, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: s.expiresAt });
    void reply.setCookie(CSRF_COOKIE, s.csrfToken, { httpOnly: false, sameSite: 'lax', secure, path: '/', expires: s.expiresAt });
    void reply.redirect(`${base}/`, 303);
  }

  private async failed(reply: FastifyReply, err: unknown, meta: RequestMeta, base: string): Promise<void> {
    if (!(err instanceof SsoSignInError)) throw err;
    await this.sso.recordFailure(err, meta);
    void reply.clearCookie(SSO_STATE_COOKIE, this.cookieOptions());
    void reply.redirect(`${base}/login?sso_error=${encodeURIComponent(err.message)}`, 303);
  }

  @Post('discover')
  @HttpCode(200)
  @Doc({ summary: "Whether an email's domain signs in with single sign-on, and where to start", body: ssoEmailSchema, tag: 'Identity' })
  async discover(@Body() body: unknown) {
    const { email } = parseBody(ssoEmailSchema, body);
    const route = await this.sso.route(email);
    return route ? { sso: true, protocol: route.protocol, start_url: `/v1/sso/start?email=${encodeURIComponent(email)}` } : { sso: false };
  }

  @Get('start')
  @Doc({ summary: "Start single sign-on for an email: a redirect to the account's identity provider", tag: 'Identity' })
  async start(@Query() query: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const { email } = parseQuery(ssoStartQuerySchema, query);
    const { url, state } = await this.sso.start(email, publicBase(this.config, req));
    void reply.setCookie(SSO_STATE_COOKIE, state, { ...this.cookieOptions(), maxAge: SSO_STATE_TTL_S });
    void reply.redirect(url, 303);
  }

  @Get('oidc/callback')
  @SkipThrottle()
  @Doc({ summary: 'Where an OpenID Connect provider sends the browser back (the redirect URI to register)', tag: 'Identity' })
  async oidcCallback(@Query() query: Record<string, string | undefined>, @Req() req: FastifyRequest, @Meta() meta: RequestMeta, @Res() reply: FastifyReply) {
    const base = publicBase(this.config, req);
    const raw = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    try {
      this.signedIn(reply, await this.sso.oidcCallback(query, raw, req.cookies?.[SSO_STATE_COOKIE], base, meta), base);
    } catch (err) {
      await this.failed(reply, err, meta, base);
    }
  }

  @Post('saml/:accountId/acs')
  @SkipThrottle()
  @Doc({ summary: "The SAML assertion consumer service (HTTP-POST binding) of one account's connection", tag: 'Identity' })
  async samlAcs(@Param('accountId', uuidPipe) accountId: string, @Body() body: unknown, @Req() req: FastifyRequest, @Meta() meta: RequestMeta, @Res() reply: FastifyReply) {
    const base = publicBase(this.config, req);
    const form = (body && typeof body === 'object' ? body : {}) as Record<string, string>;
    if (typeof form.SAMLResponse !== 'string') throw new AppError(ErrorCode.Validation, 'Post the SAMLResponse form field.', [{ path: 'SAMLResponse', message: 'is required' }]);
    try {
      this.signedIn(reply, await this.sso.samlAcs(accountId, form, req.cookies?.[SSO_STATE_COOKIE], base, meta), base);
    } catch (err) {
      await this.failed(reply, err, meta, base);
    }
  }

  @Get('saml/:accountId/metadata')
  @Header('content-type', 'application/samlmetadata+xml')
  @Doc({ summary: "Our SAML service-provider metadata for one account's connection", tag: 'Identity' })
  samlMetadata(@Param('accountId', uuidPipe) accountId: string, @Req() req: FastifyRequest) {
    return this.sso.samlMetadata(accountId, publicBase(this.config, req));
  }
}
