import { Injectable } from '@nestjs/common';
import { activityInterval, CATEGORIES, categoryOf, decodeCursor, decodeFeedPosition, encodeCursor, encodeFeedPosition, type EventActivityQuery, type EventFeedQuery, type EventInput, type EventQuery, type EventRecord, type FeedPosition, type FieldError, type KeyActivityQuery, MAX_ACTIVITY_BUCKETS, type ViewerSlice, normalizeEvent, PLATFORM_ACTIONS, toApiEvent, uuidv7Time } from '@audit-trail/audit-core';
import { apiKeyExists, countByAction, countByInterval, Database, eventsAfter, findEvent, type LogSelector, queryEvents, sealedEventIds, tenantActions } from '@audit-trail/data';
import { EventWriter } from '@audit-trail/engines';
import { clampToViewWindow, describeViewWindow, hasEntitlement, isViewable, type PlanId } from '@audit-trail/plans';
import { AppError, ErrorCode, forbidden, notFound } from '../common/errors';
import { canAccessLog, type Principal, type RequestMeta } from '../common/principal';
import { ReadAuditService } from '../self-audit/read-audit.service';
import { CatalogService } from '../catalog/catalog.service';
import { WorkspaceDirectory } from './workspace-directory';
import { ReadRouter, type Writer } from '../core/read-router';

/** The filters of a read, as the log.viewed entry records them (not the cursor or page size). */
export function readFilters(q: Record<string, unknown>): Record<string, unknown> {
  const { limit: _l, cursor: _c, scope: _s, workspace_id: _w, ...rest } = q;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
}

@Injectable()
export class EventsService {
  constructor(
    private readonly db: Database,
    private readonly writer: EventWriter,
    private readonly workspaces: WorkspaceDirectory,
    private readonly catalogs: CatalogService,
    private readonly reads: ReadAuditService,
    private readonly router: ReadRouter,
  ) {}

  /** Validate workspaces, normalize, store; resolves once every event is committed. */
  async ingest(p: Principal, inputs: EventInput[], pathPrefix: (i: number) => string): Promise<string[]> {
    const receivedAt = new Date();
    const errors: FieldError[] = [];
    // The account's own actions: their categories, and schemas their metadata must match.
    const tenant = await this.catalogs.registrations(p.accountId);
    let known: Set<string> | null = null;
    const records: EventRecord[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i];
      let workspaceId = input.workspace_id ?? null;
      if (p.boundWorkspaceId) {
        if (workspaceId && workspaceId !== p.boundWorkspaceId) {
          throw new AppError(ErrorCode.Forbidden, `This API key is bound to workspace ${p.boundWorkspaceId}; ${pathPrefix(i)}workspace_id names another.`);
        }
        workspaceId = p.boundWorkspaceId;
      } else if (workspaceId) {
        known ??= await this.workspaces.ids(p.accountId);
        if (!known.has(workspaceId)) {
          errors.push({ path: `${pathPrefix(i)}workspace_id`, message: 'names a workspace that does not exist in this account' });
          continue;
        }
      }
      const registered = tenant?.get(input.action);
      errors.push(...this.catalogs.checkMetadata(p.accountId, registered, input.metadata, pathPrefix(i)));
      records.push(normalizeEvent(input, { accountId: p.accountId, receivedAt, workspaceId, tenantCategory: registered?.category, apiKeyId: p.apiKeyId }));
    }
    if (errors.length) throw new AppError(ErrorCode.Validation, 'The request body is not valid.', errors);
    // The same idempotency key twice in one batch is one event.
    const firstByKey = new Map<string, EventRecord>();
    const unique: EventRecord[] = [];
    for (const r of records) {
      if (r.idempotency_key) {
        if (firstByKey.has(r.idempotency_key)) continue;
        firstByKey.set(r.idempotency_key, r);
      }
      unique.push(r);
    }
    const storedIds = await this.writer.write(p.accountId, unique);
    const idOf = new Map(unique.map((r, i) => [r, storedIds[i]]));
    return records.map((r) => idOf.get(r.idempotency_key ? (firstByKey.get(r.idempotency_key) as EventRecord) : r) as string);
  }

  /**
   * Which logs a request may read. A workspace the account does not have is
   * refused like any bad parameter (400 in a query, 422 in a body), the same
   * for a made-up id and another account's.
   */
  async resolveLog(p: Principal, scope: 'account' | 'workspace', workspaceId: string | undefined, from: 'query' | 'body' = 'query'): Promise<LogSelector & { scope: 'account' | 'workspace' }> {
    if (p.kind === 'api_key' && p.boundWorkspaceId) {
      if (workspaceId && workspaceId !== p.boundWorkspaceId) throw notFound('Workspace');
      if (scope === 'account') throw forbidden('This API key is bound to a workspace; ask for scope=workspace.');
      return { scope: 'workspace', workspaceIds: [p.boundWorkspaceId] };
    }
    if (scope === 'account') {
      if (workspaceId) throw new AppError(ErrorCode.Malformed, 'workspace_id goes with scope=workspace.', [{ path: 'workspace_id', message: 'needs scope=workspace' }]);
      if (!canAccessLog(p, null)) throw forbidden('Your role cannot read the account log.');
      return { scope: 'account', workspaceIds: null };
    }
    if (workspaceId) {
      const ids = await this.workspaces.ids(p.accountId);
      if (!ids.has(workspaceId)) {
        throw new AppError(from === 'query' ? ErrorCode.Malformed : ErrorCode.Validation, 'workspace_id names no workspace of this account.', [
          { path: 'workspace_id', message: 'names no workspace of this account' },
        ]);
      }
      if (!canAccessLog(p, workspaceId)) throw forbidden('You are not an admin of this workspace.');
      return { scope: 'workspace', workspaceIds: [workspaceId] };
    }
    if (p.kind === 'session' && p.role === 'member') return { scope: 'workspace', workspaceIds: p.adminWorkspaceIds };
    return { scope: 'workspace', workspaceIds: null };
  }

  async query(p: Principal, q: EventQuery, meta?: RequestMeta) {
    const log = await this.resolveLog(p, q.scope, q.workspace_id);
    const result = await this.page(p, log, q);
    // Counted in its window after the answer is on its way: the reader does not wait for it.
    if (meta) this.reads.logViewedLater(p, meta, log, readFilters(q));
    return result;
  }

  /**
   * Everything one API key did, across every log of the account (or the log
   * `scope` names): the events it sent and the administration it performed.
   * A revoked key's history stays readable; another account's key is 404.
   */
  async keyActivity(p: Principal, keyId: string, q: KeyActivityQuery, meta?: RequestMeta) {
    if (p.kind === 'api_key' && p.boundWorkspaceId) throw forbidden('A key bound to a workspace cannot read other keys’ activity across the account.');
    const known = await this.db.tenant(p.accountId, (c) => apiKeyExists(c, keyId));
    if (!known) throw notFound('API key');
    const log: LogSelector = q.scope ? await this.resolveLog(p, q.scope, q.workspace_id) : { scope: 'all', workspaceIds: null };
    const result = await this.page(p, log, { ...q, api_key_id: keyId });
    if (meta) this.reads.logViewedLater(p, meta, log, readFilters({ ...q, api_key_id: keyId }));
    return result;
  }

  /**
   * The change feed: one log in commit order, after an opaque position, for
   * consumers that pull. Built on the forwarder's and sealer's walk (only
   * transactions older than every running one), so an event that commits
   * late, or claims an old occurred_at, still comes after every position
   * already handed out. Entries older than the plan's view window are passed
   * over, not shown; the position moves past them all the same.
   */
  async feed(p: Principal, q: EventFeedQuery, meta?: RequestMeta) {
    const log = await this.resolveLog(p, q.scope, q.workspace_id);
    if (log.scope === 'workspace' && log.workspaceIds?.length !== 1) {
      throw new AppError(ErrorCode.Malformed, 'The feed follows one log: name one workspace.', [{ path: 'workspace_id', message: 'is required with scope=workspace' }]);
    }
    const workspaceId = log.scope === 'workspace' ? (log.workspaceIds as string[])[0] : null;
    let after: FeedPosition | null = null;
    if (q.after) {
      after = decodeFeedPosition(q.after);
      if (!after) throw new AppError(ErrorCode.Malformed, 'The position is not valid; use next_position from a previous answer.', [{ path: 'after', message: 'is not a position this API issued' }]);
    }
    const rows = await this.router.tenant(p, p.accountId, (c) => eventsAfter(c, p.accountId, workspaceId, after ?? { txid: null, id: null }, q.limit));
    const { from } = clampToViewWindow(p.plan, null, new Date());
    const last = rows[rows.length - 1];
    const next = last ? { txid: last.txid, id: last.id } : after;
    if (meta) this.reads.logViewedLater(p, meta, log, { feed: true });
    return {
      entries: rows.filter((r) => !from || r.occurred_at >= from).map((r) => toApiEvent(r)),
      next_position: next ? encodeFeedPosition(next) : null,
    };
  }

  /**
   * One keyset page of a log, with the plan's window and (with integrity
   * proofs) whether each entry is sealed. A viewer's `slice` is ANDed with
   * the filters.
   */
  async page(p: { accountId: string; plan: PlanId } & Partial<Writer>, log: LogSelector, q: Omit<EventQuery, 'scope' | 'workspace_id'> & { scope?: unknown; workspace_id?: unknown }, slice?: ViewerSlice) {
    const now = new Date();
    const requestedFrom = q.from ? new Date(q.from) : null;
    const to = q.to ? new Date(q.to) : null;
    const { from, clamped } = clampToViewWindow(p.plan, requestedFrom, now);
    let after = null;
    if (q.cursor) {
      after = decodeCursor(q.cursor);
      if (!after) throw new AppError(ErrorCode.Malformed, 'The cursor is not valid; use next_cursor from a previous page.', [{ path: 'cursor', message: 'is not a cursor this API issued' }]);
    }
    const { scope: _s, workspace_id: _w, limit, cursor: _c, from: _f, to: _t, ...filter } = q;
    const proofs = hasEntitlement(p.plan, 'integrity_proofs');
    const { page, sealed } = await this.router.tenant(writerOf(p), p.accountId, async (c) => {
      const page = await queryEvents(c, p.accountId, { filter, log, from, to, after, limit, slice });
      // With integrity proofs, each entry says whether it is sealed yet (one index probe per row).
      const sealed = proofs && page.rows.length
        ? await sealedEventIds(c, p.accountId, page.rows.map((r) => r.id))
        : null;
      return { page, sealed };
    });
    const last = page.rows[page.rows.length - 1];
    return {
      entries: page.rows.map((r) => (sealed ? { ...toApiEvent(r), sealed: sealed.has(r.id) } : toApiEvent(r))),
      next_cursor: page.hasMore && last ? encodeCursor({ occurredAt: last.occurred_at.toISOString(), id: last.id }) : null,
      window: { from: from?.toISOString() ?? null, to: (to ?? now).toISOString(), clamped },
    };
  }

  /**
   * Events per hour or day for the same filters as the query (the console's
   * activity chart). Without `from`, the last 30 days (or the plan's window,
   * when shorter); a `from` before the plan's window is clamped like a query.
   */
  async activity(p: Principal, q: EventActivityQuery) {
    const now = new Date();
    const log = await this.resolveLog(p, q.scope, q.workspace_id);
    const to = q.to ? new Date(q.to) : now;
    const defaultFrom = new Date(to.getTime() - 30 * 86_400_000);
    const { from: windowFrom, clamped } = clampToViewWindow(p.plan, q.from ? new Date(q.from) : defaultFrom, now);
    const from = windowFrom ?? defaultFrom;
    if (from > to) return { interval: activityInterval(to, to, q.interval), time_zone: q.tz, buckets: [], window: { from: from.toISOString(), to: to.toISOString(), clamped } };
    const interval = activityInterval(from, to, q.interval);
    const buckets = Math.ceil((to.getTime() - from.getTime()) / (interval === 'hour' ? 3_600_000 : 86_400_000)) + 1;
    if (buckets > MAX_ACTIVITY_BUCKETS) {
      throw new AppError(ErrorCode.Malformed, `That range holds ${buckets} ${interval}s; at most ${MAX_ACTIVITY_BUCKETS} buckets fit in one answer. Choose a shorter range${interval === 'hour' ? ' or interval=day' : ''}.`, [
        { path: 'interval', message: `${buckets} buckets is more than ${MAX_ACTIVITY_BUCKETS}` },
      ]);
    }
    const { scope: _s, workspace_id: _w, from: _f, to: _t, interval: _i, tz, ...filter } = q;
    const rows = await this.router.tenant(p, p.accountId, (c) => countByInterval(c, p.accountId, { filter, log, from, to }, interval, tz));
    return {
      interval,
      time_zone: tz,
      buckets: rows.map((r) => ({ start: r.start.toISOString(), count: r.count })),
      window: { from: from.toISOString(), to: to.toISOString(), clamped },
    };
  }

  async get(p: Principal, id: string, meta?: RequestMeta) {
    const t = uuidv7Time(id);
    if (t === null) throw notFound('Event');
    const event = await this.router.tenant(p, p.accountId, (c) => findEvent(c, p.accountId, id.toLowerCase(), new Date(t)));
    if (!event) throw notFound('Event');
    if (p.kind === 'api_key' && p.boundWorkspaceId && event.workspace_id !== p.boundWorkspaceId) throw notFound('Event');
    if (!canAccessLog(p, event.workspace_id)) throw notFound('Event');
    if (!isViewable(p.plan, event.occurred_at, new Date())) {
      throw new AppError(ErrorCode.PlanLimit, `This event is older than your plan's view window. ${describeViewWindow(p.plan)}`);
    }
    if (meta) await this.reads.eventViewed(p, meta, event);
    return toApiEvent(event);
  }

  /** Every log the principal may read: the counts in the catalog come from these alone. */
  private readableLogs(p: Principal): { account: boolean; workspaceIds: string[] | null } {
    if (p.kind === 'api_key' && p.boundWorkspaceId) return { account: false, workspaceIds: [p.boundWorkspaceId] };
    if (p.kind === 'session' && p.role === 'member') return { account: false, workspaceIds: p.adminWorkspaceIds };
    return { account: true, workspaceIds: null };
  }

  async catalog(p: Principal) {
    const { from } = clampToViewWindow(p.plan, null, new Date());
    const counts = await this.router.tenant(p, p.accountId, async (c) => {
      const rows = await countByAction(c, p.accountId, from, this.readableLogs(p));
      return { rows, custom: await tenantActions.list(c) };
    });
    type Row = { action: string; category: string; description: string | null; count: number; registered: boolean; has_schema: boolean };
    const actions = new Map<string, Row>();
    for (const [action, description] of Object.entries(PLATFORM_ACTIONS)) {
      actions.set(action, { action, category: '', description, count: 0, registered: false, has_schema: false });
    }
    for (const c of counts.custom) actions.set(c.action, { action: c.action, category: c.category, description: c.description, count: 0, registered: true, has_schema: c.metadata_schema !== null });
    for (const r of counts.rows) {
      const a = actions.get(r.action) ?? { action: r.action, category: r.category, description: null, count: 0, registered: false, has_schema: false };
      a.count += r.count;
      if (!a.registered) a.category = r.category;
      actions.set(r.action, a);
    }
    for (const a of actions.values()) if (!a.category) a.category = categoryOf(a.action);
    // The tenant's own categories come after the built-in ones.
    const own = [...new Set([...actions.values()].map((a) => a.category))].filter((id) => !CATEGORIES.some((c) => c.id === id)).sort();
    const categories = [...CATEGORIES.map((c) => ({ id: c.id, name: c.name, description: c.description })), ...own.map((id) => ({ id, name: id, description: 'A category of your own.' }))];
    return {
      categories: categories.map((c) => ({
        ...c,
        count: [...actions.values()].filter((a) => a.category === c.id).reduce((s, a) => s + a.count, 0),
        actions: [...actions.values()].filter((a) => a.category === c.id).sort((x, y) => x.action.localeCompare(y.action)),
      })),
      since: from?.toISOString() ?? null,
    };
  }
}

function writerOf(p: Partial<Writer>): Writer {
  return { apiKeyId: p.apiKeyId ?? null, userId: p.userId ?? null };
}
