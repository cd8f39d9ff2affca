import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AppConfig } from '@audit-trail/config';
import type { ApiKeyScope } from '@audit-trail/data';
import { type BooleanEntitlement, hasEntitlement } from '@audit-trail/plans';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VIEWER_TOKEN_PREFIX, viewerOriginAllowed } from '@audit-trail/audit-core';
import { readViewerToken } from '../viewer/viewer-token';
import { AppError, ErrorCode, RouteHiddenError } from '../common/errors';
import { CONFIG } from '../core/tokens';
import { BEFORE_MFA_KEY, ENTITLEMENT_KEY, OPERATOR_KEY, PUBLIC_KEY, SCIM_KEY, SCOPE_KEY, VIEWER_KEY } from './decorators';
import { SCIM_TOKEN_PREFIX, ScimError } from '../scim/scim';
import { PrincipalResolver } from './principal.resolver';
import { API_KEY_PREFIX, CSRF_COOKIE, safeEqual, SESSION_COOKIE } from './secrets';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : null;
}

/**
 * The request pipeline's one gate: authenticate (API key, session cookie or
 * operator token), hide unlicensed features, check the scope, check CSRF.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolver: PrincipalResolver,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();

    if (this.reflector.getAllAndOverride<boolean>(OPERATOR_KEY, targets)) {
      const token = this.config.OPERATOR_TOKEN;
      const given = bearer(req);
      if (!token || !given || !safeEqual(given, token)) throw new RouteHiddenError();
      return true;
    }
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    if (this.reflector.getAllAndOverride<boolean>(VIEWER_KEY, targets)) return this.viewer(req, ctx.switchToHttp().getResponse<FastifyReply>(), targets);
    if (this.reflector.getAllAndOverride<boolean>(SCIM_KEY, targets)) return this.scim(req);

    const key = bearer(req);
    let csrf: string | null = null;
    if (key?.startsWith(SCIM_TOKEN_PREFIX)) throw new AppError(ErrorCode.Unauthenticated, 'A SCIM token works only on /scim/v2; use an API key here.');
    if (key?.startsWith(VIEWER_TOKEN_PREFIX)) throw new AppError(ErrorCode.Unauthenticated, 'A viewer token reads /v1/viewer/events and nothing else; use an API key here.');
    if (key) {
      const principal = key.startsWith(API_KEY_PREFIX) ? await this.resolver.apiKey(key) : null;
      if (!principal) throw new AppError(ErrorCode.Unauthenticated, 'The API key is not valid, or was revoked.');
      req.principal = principal;
    } else {
      const token = req.cookies?.[SESSION_COOKIE];
      const session = token ? await this.resolver.session(token) : null;
      if (!session) throw new AppError(ErrorCode.Unauthenticated, 'Sign in, or send an API key as `Authorization: Bearer <key>`.');
      const { csrfToken, ...principal } = session;
      req.principal = principal;
      csrf = csrfToken;
      if (principal.mfaSetupRequired && !this.reflector.getAllAndOverride<boolean>(BEFORE_MFA_KEY, targets)) {
        throw new AppError(ErrorCode.MfaSetupRequired, 'This account requires two-factor sign-in: set it up first (POST /v1/auth/mfa/totp/setup, then enable).');
      }
    }

    const feature = this.reflector.getAllAndOverride<BooleanEntitlement | undefined>(ENTITLEMENT_KEY, targets);
    if (feature && !hasEntitlement(req.principal.plan, feature)) throw new RouteHiddenError();

    if (csrf !== null && !SAFE_METHODS.has(req.method)) {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !safeEqual(sent, csrf)) {
        throw new AppError(ErrorCode.Csrf, `Send the value of the ${CSRF_COOKIE} cookie in the X-CSRF-Token header.`);
      }
    }

    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(SCOPE_KEY, targets);
    if (scope && !req.principal.scopes.has(scope)) {
      throw new AppError(
        ErrorCode.Forbidden,
        req.principal.kind === 'api_key' ? `This API key lacks the \`${scope}\` scope.` : 'Your role does not allow this.',
      );
    }
    return true;
  }

  /** /scim/v2: a SCIM token of an account whose plan has SCIM (otherwise the routes do not exist). */
  private async scim(req: FastifyRequest): Promise<boolean> {
    const token = bearer(req);
    if (!token?.startsWith(SCIM_TOKEN_PREFIX)) throw new ScimError(401, 'Send a SCIM token (scim_…) as `Authorization: Bearer <token>`; API keys do not work here.');
    const caller = await this.resolver.scimToken(token);
    if (!caller) throw new ScimError(401, 'The SCIM token is not valid, or was revoked.');
    if (!hasEntitlement(caller.plan, 'scim')) throw new RouteHiddenError();
    req.scim = caller;
    return true;
  }

  /**
   * The embedded viewer's routes: a viewer token only, read by a browser on
   * an origin the token lists (or by a server, which sends no Origin). Errors
   * are readable from any origin, so the embedding page can say what went
   * wrong; entries only from the listed ones.
   */
  private async viewer(req: FastifyRequest, reply: FastifyReply, targets: Parameters<Reflector['getAllAndOverride']>[1]): Promise<boolean> {
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (origin) void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    const token = bearer(req);
    const claims = token ? readViewerToken(this.config.SESSION_SECRET, token, Math.floor(Date.now() / 1000)) : null;
    if (!claims) throw new AppError(ErrorCode.Unauthenticated, 'Send a viewer token (atv_…) as `Authorization: Bearer <token>`; this one is not valid or has expired.');
    const own = this.config.PUBLIC_URL ? [new URL(this.config.PUBLIC_URL).origin] : [`${req.protocol}://${req.headers.host ?? ''}`];
    if (!viewerOriginAllowed(claims, origin, own)) throw new AppError(ErrorCode.Forbidden, `This viewer token may not be used on ${origin}; list that origin when issuing the token.`);
    const plan = await this.resolver.accountPlan(claims.accountId);
    if (plan === null) throw new AppError(ErrorCode.Unauthenticated, 'The account of this viewer token no longer exists.');
    const feature = this.reflector.getAllAndOverride<BooleanEntitlement | undefined>(ENTITLEMENT_KEY, targets);
    if (feature && !hasEntitlement(plan, feature)) throw new RouteHiddenError();
    req.viewer = { claims, plan };
    return true;
  }
}
