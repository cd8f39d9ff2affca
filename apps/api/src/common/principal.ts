import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { ApiKeyScope, Role } from '@audit-trail/data';
import type { PlanId } from '@audit-trail/plans';
import type { ViewerClaims } from '@audit-trail/audit-core';
import type { FastifyRequest } from 'fastify';

/** Who is calling: resolved once per request by the access guard. */
export interface Principal {
  kind: 'api_key' | 'session';
  accountId: string;
  plan: PlanId;
  scopes: ReadonlySet<ApiKeyScope>;
  /** API key: the workspace it is bound to. */
  boundWorkspaceId: string | null;
  apiKeyId: string | null;
  /** Session: the user, their role and the workspaces they administer as a member. */
  userId: string | null;
  email: string | null;
  name: string | null;
  role: Role | null;
  adminWorkspaceIds: string[];
  sessionId: string | null;
  /** Session: the account requires two-factor and this person has not set it up; only set-up routes answer. */
  mfaSetupRequired?: boolean;
}

/** Who reads through a viewer token: the signed claims, and the account's plan now. */
export interface ViewerReading {
  claims: ViewerClaims;
  plan: PlanId;
}

/** Where a request came from, for the self-audit log. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** A viewer route's reader: the token's claims and the account's plan. */
    viewer?: ViewerReading;
    /** A SCIM route's caller: the token's account and plan. */
    scim?: { accountId: string; plan: PlanId; tokenId: string };
  }
}

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  if (!req.principal) throw new Error('route has no principal: is it public?');
  return req.principal;
});

export const CurrentViewer = createParamDecorator((_: unknown, ctx: ExecutionContext): ViewerReading => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  if (!req.viewer) throw new Error('route has no viewer: is it a viewer route?');
  return req.viewer;
});

export const Meta = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestMeta => requestMeta(ctx.switchToHttp().getRequest<FastifyRequest>()));

export function requestMeta(req: FastifyRequest): RequestMeta {
  const ua = req.headers['user-agent'];
  return { ip: req.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 1024) : null };
}

/** Can this principal read or administer the log of `workspaceId` (null = the account log)? The one rule, in audit-core. */
export { canAccessLog, isAccountAdmin } from '@audit-trail/audit-core';
