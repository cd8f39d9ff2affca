import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { destinationSpec, type DestinationView, newId } from '@audit-trail/audit-core';
import { type AppConfig, forwardingPrivateAccess } from '@audit-trail/config';
import { countLiveDestinations, Database, Destination, type DestinationRow, emExecutor, findDestination, liveDestinations, newDestination, newReplay, recentDeliveries, startingCursor, TenantOrm } from '@audit-trail/data';
import { checkDestinationUrl, loadDestination, SecretBox, sendTest } from '@audit-trail/engines';
import { describeDestinationLimit, mayAddDestination, viewWindowStart } from '@audit-trail/plans';
import { randomBytes } from 'node:crypto';
import { AppError, ErrorCode, notFound } from '../common/errors';
import { canAccessLog, type Principal, type RequestMeta } from '../common/principal';
import { CONFIG } from '../core/tokens';
import { WorkspaceDirectory } from '../events/workspace-directory';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { CREDENTIAL_FIELDS, credentialRefusal, type CreateDestination, type UpdateDestination } from './destination.schemas';

/** How long the previous webhook secret keeps signing after a rotation. */
const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** What a destination shows: never a secret. A URL that is a secret itself (Slack's) is masked by its type's spec. */
export function destinationView(d: Destination): DestinationView {
  const mask = destinationSpec(d.type).maskUrl;
  const url = mask ? mask(d.url) : d.url;
  return {
    id: d.id,
    type: d.type,
    name: d.name,
    url,
    format: d.format,
    scope: d.scope,
    workspace_id: d.workspaceId,
    filter: d.filter,
    enabled: d.enabled,
    disabled_reason: d.enabled ? null : d.disabledReason,
    has_secret: d.secretEnc !== null,
    previous_secret_until: d.previousSecretUntil && d.previousSecretUntil > new Date() ? d.previousSecretUntil.toISOString() : null,
    failing_since: d.failingSince?.toISOString() ?? null,
    next_attempt_at: d.nextAttemptAt?.toISOString() ?? null,
    last_delivered_at: d.lastDeliveredAt?.toISOString() ?? null,
    last_error: d.lastError,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}

/** Fields whose change is worth a before/after in the log (secrets: only that they changed). */
function auditable(d: Destination) {
  return { name: d.name, url: destinationView(d).url, format: d.format, filter: d.filter, enabled: d.enabled };
}

@Injectable()
export class ForwardingService {
  private readonly box: SecretBox;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly tenant: TenantOrm,
    private readonly db: Database,
    private readonly audit: SelfAuditService,
    private readonly directory: WorkspaceDirectory,
  ) {
    this.box = new SecretBox(config.SESSION_SECRET);
  }

  private async checkUrl(url: string) {
    const why = await checkDestinationUrl(url, forwardingPrivateAccess(this.config));
    if (why) throw new AppError(ErrorCode.Validation, 'The request body is not valid.', [{ path: 'url', message: why }]);
  }

  /** A workspace-bound key manages only destinations of its workspace. */
  private visible(p: Principal, d: Destination): boolean {
    return !d.deletedAt && canAccessLog(p, d.workspaceId);
  }

  private async find(em: EntityManager, p: Principal, id: string): Promise<Destination> {
    const d = await findDestination(em, id);
    if (!d || !this.visible(p, d)) throw notFound('Destination');
    return d;
  }

  private record(em: EntityManager, p: Principal, action: string, d: Destination, meta: RequestMeta, extra: { changes?: { before: Record<string, unknown>; after: Record<string, unknown> }; metadata?: Record<string, unknown> } = {}) {
    return this.audit.record(emExecutor(em), {
      accountId: p.accountId,
      plan: p.plan,
      action,
      actor: { kind: 'principal', principal: p },
      meta,
      target: { type: 'destination', id: d.id, name: d.name },
      changes: extra.changes,
      metadata: { type: d.type, scope: d.scope, workspace_id: d.workspaceId, ...extra.metadata },
    });
  }

  async create(p: Principal, input: CreateDestination, meta: RequestMeta) {
    const workspaceId = input.scope === 'workspace' ? (input.workspace_id ?? null) : null;
    if (p.kind === 'api_key' && p.boundWorkspaceId && workspaceId !== p.boundWorkspaceId) {
      throw new AppError(ErrorCode.Forbidden, 'This API key is bound to one workspace; it can only forward that workspace’s log.');
    }
    if (workspaceId && !(await this.directory.ids(p.accountId)).has(workspaceId)) throw notFound('Workspace');
    // The schema requires a URL unless the type has a default, and the credential the type's spec asks for.
    const spec = destinationSpec(input.type);
    const url = input.url ?? spec.defaultUrl ?? '';
    await this.checkUrl(url);
    const given = spec.credential ? input[spec.credential.field] : undefined;
    // A type whose credential we generate (webhooks) gets one when none was given, shown in this answer only.
    const generated = spec.credential?.generated && !given ? `whsec_${randomBytes(24).toString('base64url')}` : null;
    const secret = given ?? generated;
    return this.tenant.run(p.accountId, async (em) => {
      const count = await countLiveDestinations(em);
      if (!mayAddDestination(p.plan, count)) throw new AppError(ErrorCode.PlanLimit, describeDestinationLimit(p.plan));
      const cursor = await startingCursor(emExecutor(em));
      const d = newDestination(em, {
        id: newId(),
        account: p.accountId,
        type: input.type,
        name: input.name,
        url,
        format: input.format,
        scope: input.scope,
        workspaceId,
        filter: input.filter,
        enabled: input.enabled,
        secretEnc: secret ? this.box.seal(secret) : null,
        cursorTxid: cursor.txid,
        cursorId: cursor.id,
      });
      await em.flush();
      await this.record(em, p, 'destination.created', d, meta, { metadata: { url: destinationView(d).url, format: d.format, filter: d.filter } });
      return { ...destinationView(d), ...(generated ? { secret: generated } : {}) };
    });
  }

  async list(p: Principal) {
    const all = await this.tenant.run(p.accountId, (em) => liveDestinations(em));
    return all.filter((d) => this.visible(p, d)).map(destinationView);
  }

  async get(p: Principal, id: string) {
    return this.tenant.run(p.accountId, async (em) => destinationView(await this.find(em, p, id)));
  }

  async update(p: Principal, id: string, input: UpdateDestination, meta: RequestMeta) {
    if (input.url) await this.checkUrl(input.url);
    return this.tenant.run(p.accountId, async (em) => {
      const d = await this.find(em, p, id);
      const before = auditable(d);
      if (input.name !== undefined) d.name = input.name;
      if (input.url !== undefined) d.url = input.url;
      if (input.format !== undefined) d.format = input.format;
      if (input.filter !== undefined) d.filter = input.filter;
      const cred = destinationSpec(d.type).credential;
      const wrong = CREDENTIAL_FIELDS.filter((f) => input[f] && f !== cred?.field);
      if (wrong.length) throw new AppError(ErrorCode.Validation, 'The request body is not valid.', wrong.map((f) => ({ path: f, message: credentialRefusal(d.type, f) })));
      const rotated = cred ? input[cred.field] : undefined;
      if (rotated) {
        if (cred?.overlap && d.secretEnc) {
          // Both secrets sign for a day, so receivers can switch without losing a delivery.
          d.previousSecretEnc = d.secretEnc;
          d.previousSecretUntil = new Date(Date.now() + ROTATION_OVERLAP_MS);
        }
        d.secretEnc = this.box.seal(rotated);
      }
      if (input.enabled !== undefined && input.enabled !== d.enabled) {
        d.enabled = input.enabled;
        if (input.enabled) {
          // Resumes from its cursor: nothing in between is lost.
          d.failures = 0;
          d.failingSince = null;
          d.nextAttemptAt = null;
          d.disabledReason = null;
        } else d.disabledReason = 'Disabled by a person.';
      }
      d.updatedAt = new Date();
      await em.flush();
      await this.record(em, p, 'destination.updated', d, meta, { changes: { before, after: auditable(d) }, metadata: { secret_rotated: Boolean(rotated) } });
      return destinationView(d);
    });
  }

  async remove(p: Principal, id: string, meta: RequestMeta) {
    await this.tenant.run(p.accountId, async (em) => {
      const d = await this.find(em, p, id);
      d.deletedAt = new Date();
      d.enabled = false;
      d.disabledReason = 'Deleted.';
      await em.flush();
      await this.record(em, p, 'destination.deleted', d, meta);
    });
  }

  async test(p: Principal, id: string) {
    await this.get(p, id);
    const d = (await loadDestination(this.db, p.accountId, id)) as DestinationRow;
    const r = await sendTest(this.db, d, { box: this.box, allowPrivate: forwardingPrivateAccess(this.config), timeoutMs: this.config.FORWARDING_TIMEOUT_MS });
    return { ok: r.status !== null && r.status >= 200 && r.status < 300, status_code: r.status, latency_ms: r.latencyMs, body: r.body.slice(0, 1024), error: r.error };
  }

  async deliveries(p: Principal, id: string, limit: number) {
    return this.tenant.run(p.accountId, async (em) => {
      await this.find(em, p, id);
      const rows = await recentDeliveries(em, p.accountId, id, limit);
      return rows.map((r) => ({
        id: r.id,
        attempted_at: r.attemptedAt.toISOString(),
        first_event_id: r.firstEventId,
        last_event_id: r.lastEventId,
        event_count: r.eventCount,
        status_code: r.statusCode,
        latency_ms: r.latencyMs,
        ok: r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300,
        error: r.error,
        replay_id: r.replayId,
        test: r.test,
      }));
    });
  }

  async replay(p: Principal, id: string, input: { from: string; to?: string }, meta: RequestMeta) {
    const now = new Date();
    const from = new Date(input.from);
    const to = input.to ? new Date(input.to) : now;
    const earliest = viewWindowStart(p.plan, now);
    if (earliest && from < earliest) throw new AppError(ErrorCode.PlanLimit, `Your plan reads back to ${earliest.toISOString()}; a replay cannot start before that.`);
    return this.tenant.run(p.accountId, async (em) => {
      const d = await this.find(em, p, id);
      const r = newReplay(em, { id: newId(), account: p.accountId, destination: [p.accountId, d.id], from, to });
      await em.flush();
      await this.record(em, p, 'destination.replayed', d, meta, { metadata: { replay_id: r.id, from: from.toISOString(), to: to.toISOString() } });
      return { id: r.id, destination_id: d.id, status: r.status, from: from.toISOString(), to: to.toISOString(), delivered: 0 };
    });
  }
}
