import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { ApiKeyScope, Role } from '@audit-trail/data';
import type { PlanId } from '@audit-trail/plans';
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
}

/** Where a request came from, for the self-audit log. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  if (!req.principal) throw new Error('route has no principal: is it public?');
  return req.principal;
});

export const Meta = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestMeta => requestMeta(ctx.switchToHttp().getRequest<FastifyRequest>()));

export function requestMeta(req: FastifyRequest): RequestMeta {
  const ua = req.headers['user-agent'];
  return { ip: req.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 1024) : null };
}

/** Can this principal read or administer the log of `workspaceId` (null = the account log)? The one rule, in audit-core. */
export { canAccessLog, isAccountAdmin } from '@audit-trail/audit-core';
