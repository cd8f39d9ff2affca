import { Inject, Injectable } from '@nestjs/common';
import { inViewerSlice, toApiEvent, uuidv7Time, type ViewerEventQuery, type ViewerTokenRequest } from '@audit-trail/audit-core';
import type { AppConfig } from '@audit-trail/config';
import { findEvent, type LogSelector } from '@audit-trail/data';
import { describeViewWindow, isViewable } from '@audit-trail/plans';
import { AppError, ErrorCode, notFound } from '../common/errors';
import type { Principal, RequestMeta, ViewerReading } from '../common/principal';
import { ReadRouter } from '../core/read-router';
import { CONFIG } from '../core/tokens';
import { EventsService, readFilters } from '../events/events.service';
import type { ViewerReader } from '../self-audit/read-audit.service';
import { ReadAuditService } from '../self-audit/read-audit.service';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { issueViewerToken } from './viewer-token';

/** An entry as a viewer sees it: without the tenant's own API key id. */
function forViewer<T extends { api_key_id?: string | null }>(e: T): Omit<T, 'api_key_id'> {
  const { api_key_id: _k, ...rest } = e;
  return rest;
}

/**
 * The embedded viewer: a tenant mints a short-lived token for one of its own
 * customers, bound to one log and a slice of it; the token reads that slice
 * and nothing else, and every read is recorded under the viewer's name.
 */
@Injectable()
export class ViewerService {
  constructor(
    private readonly events: EventsService,
    private readonly reads: ReadAuditService,
    private readonly audit: SelfAuditService,
    private readonly router: ReadRouter,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async mint(p: Principal, req: ViewerTokenRequest, meta: RequestMeta): Promise<{ token: string; expires_at: string }> {
    const log = await this.events.resolveLog(p, req.scope, req.workspace_id, 'body');
    const workspaceId = log.scope === 'workspace' ? (log.workspaceIds as string[])[0] : null;
    const expires = Math.floor(Date.now() / 1000) + req.ttl_seconds;
    const token = issueViewerToken(this.config.SESSION_SECRET, {
      accountId: p.accountId,
      workspaceId,
      slice: req.filter,
      viewer: req.viewer,
      origins: req.origins,
      expires,
      issuer: p.kind === 'api_key' ? `key:${p.apiKeyId}` : `user:${p.userId}`,
    });
    const expiresAt = new Date(expires * 1000).toISOString();
    // Recorded (durably) before the token is handed out: who let whom read what, until when.
    await this.audit.recordNow({
      accountId: p.accountId,
      plan: p.plan,
      workspaceId,
      action: 'viewer_token.created',
      actor: { kind: 'principal', principal: p },
      meta,
      target: { type: 'viewer', id: req.viewer.id, ...(req.viewer.email ? { name: req.viewer.email } : {}) },
      metadata: { filter: req.filter, origins: req.origins, ttl_seconds: req.ttl_seconds, expires_at: expiresAt },
    });
    return { token, expires_at: expiresAt };
  }

  private reader(v: ViewerReading): ViewerReader {
    return { kind: 'viewer', accountId: v.claims.accountId, plan: v.plan, viewer: v.claims.viewer };
  }

  private log(v: ViewerReading): LogSelector {
    return v.claims.workspaceId ? { scope: 'workspace', workspaceIds: [v.claims.workspaceId] } : { scope: 'account', workspaceIds: null };
  }

  async query(v: ViewerReading, q: ViewerEventQuery, meta: RequestMeta) {
    const log = this.log(v);
    const page = await this.events.page({ accountId: v.claims.accountId, plan: v.plan }, log, q, v.claims.slice);
    this.reads.logViewedLater(this.reader(v), meta, log, { ...readFilters(q), viewer_slice: v.claims.slice });
    return { ...page, entries: page.entries.map(forViewer) };
  }

  async get(v: ViewerReading, id: string, meta: RequestMeta) {
    const t = uuidv7Time(id);
    if (t === null) throw notFound('Event');
    const { accountId } = v.claims;
    const event = await this.router.tenant(null, accountId, (c) => findEvent(c, accountId, id.toLowerCase(), new Date(t)), { readOnly: true });
    // Outside the slice is answered exactly like an id that does not exist.
    if (!event || !inViewerSlice(event, v.claims)) throw notFound('Event');
    if (!isViewable(v.plan, event.occurred_at, new Date())) {
      throw new AppError(ErrorCode.PlanLimit, `This event is older than the plan's view window. ${describeViewWindow(v.plan)}`);
    }
    await this.reads.eventViewed(this.reader(v), meta, event);
    return forViewer(toApiEvent(event));
  }
}
