import type { EntityManager } from '@mikro-orm/postgresql';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type LegalHoldView, newId } from '@audit-trail/audit-core';
import { type AppConfig } from '@audit-trail/config';
import { Account, emExecutor, LegalHold, type LegalHoldScope, TenantOrm } from '@audit-trail/data';
import { bullConnection, JOBS, QUEUES, queuePrefix, type RunRetentionPayload, SCHEDULERS, workerHeartbeatKey, type RedisClient } from '@audit-trail/queues';
import { type RetentionReport } from '@audit-trail/engines';
import { describeMissingEntitlement, entitlementsOf, hasEntitlement, planOrFree, retentionCutoff } from '@audit-trail/plans';
import { type Queue, QueueEvents } from 'bullmq';
import { AppError, ErrorCode, notFound } from '../common/errors';
import type { Principal, RequestMeta } from '../common/principal';
import { CONFIG, REDIS } from '../core/tokens';
import { WorkspaceDirectory } from '../events/workspace-directory';
import { SelfAuditService } from '../self-audit/self-audit.service';

/** How long an operator's request waits for the worker's run before answering 503. */
const RUN_TIMEOUT_MS = 10 * 60_000;

export function legalHoldView(h: LegalHold): LegalHoldView {
  return {
    id: h.id,
    scope: h.scope,
    workspace_id: h.workspaceId,
    reason: h.reason,
    active: h.releasedAt === null,
    created_by: h.createdBy,
    created_at: h.createdAt.toISOString(),
    released_at: h.releasedAt?.toISOString() ?? null,
    released_by: h.releasedBy,
  };
}

/**
 * Retention as the API sees it: the account's retention summary, legal holds
 * (owners, entitlement `legal_hold`), and an operator's "run it now", which
 * the worker carries out: only the worker holds the role that may delete.
 */
@Injectable()
export class RetentionService implements OnApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private events?: QueueEvents;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
    @InjectQueue(QUEUES.retention) private readonly queue: Queue<RunRetentionPayload, RetentionReport>,
    private readonly tenant: TenantOrm,
    private readonly audit: SelfAuditService,
    private readonly directory: WorkspaceDirectory,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.events?.close();
  }

  /** The retention the account has today: period, cutoff, downgrade grace, next scheduled purge. */
  async summary(account: Account, now = new Date()) {
    const plan = planOrFree(account.plan).id;
    const grace = account.retentionGraceUntil && account.retentionGraceUntil > now ? account.retentionGraceUntil : null;
    const cutoff = retentionCutoff({ plan, previousRetentionDays: account.previousRetentionDays, graceUntil: account.retentionGraceUntil }, now);
    let next: number | undefined;
    try {
      next = (await Promise.race([this.queue.getJobScheduler(SCHEDULERS.retention), new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref())]))?.next;
    } catch {
      next = undefined; // Redis unreachable: the account page still answers.
    }
    return {
      days: entitlementsOf(plan).retention_days,
      previous_days: grace ? account.previousRetentionDays : null,
      grace_until: grace?.toISOString() ?? null,
      cutoff: hasEntitlement(plan, 'audit_log') || grace ? (cutoff?.toISOString() ?? null) : null,
      next_purge_at: next ? new Date(next).toISOString() : null,
    };
  }

  /** Enqueue a run and wait for the worker's report. */
  async runNow(accountIds?: string[]): Promise<RetentionReport> {
    let alive: string | null;
    try {
      alive = await this.redis.get(workerHeartbeatKey(this.config.QUEUE_PREFIX));
    } catch {
      throw new AppError(ErrorCode.Unavailable, 'The job queue is unavailable; try again shortly.');
    }
    if (!alive) throw new AppError(ErrorCode.Unavailable, 'No worker is running, and only the worker may purge events; start apps/worker and try again.');
    this.events ??= new QueueEvents(QUEUES.retention, { connection: bullConnection(this.config.REDIS_URL), prefix: queuePrefix(this.config.QUEUE_PREFIX, QUEUES.retention) });
    await this.events.waitUntilReady();
    const job = await this.queue.add(JOBS.runRetention, accountIds ? { accountIds } : {}, { jobId: `retention-now-${newId()}`, attempts: 1 });
    try {
      return await job.waitUntilFinished(this.events, RUN_TIMEOUT_MS);
    } catch (err) {
      this.logger.error(`retention run ${job.id} did not finish: ${(err as Error).message}`);
      // A very large purge outlasts the wait: the worker carries on, and the run is audited per account when it ends.
      throw new AppError(ErrorCode.Unavailable, `No report within ${RUN_TIMEOUT_MS / 60_000} minutes; the worker goes on with the run (${(err as Error).message}).`);
    }
  }

  private assertOwnerWithHolds(p: Principal): void {
    if (!hasEntitlement(p.plan, 'legal_hold')) throw new AppError(ErrorCode.PlanLimit, describeMissingEntitlement(p.plan, 'legal_hold', 'Legal holds'));
    if (p.kind !== 'session' || p.role !== 'owner') throw new AppError(ErrorCode.Forbidden, 'Only account owners can place, list or release legal holds.');
  }

  async listHolds(p: Principal) {
    this.assertOwnerWithHolds(p);
    const holds = await this.tenant.run(p.accountId, (em) => em.find(LegalHold, {}, { orderBy: { releasedAt: 'desc nulls first', createdAt: 'desc' } }));
    return holds.map(legalHoldView);
  }

  async placeHold(p: Principal, input: { scope: LegalHoldScope; workspace_id?: string | null; reason: string }, meta: RequestMeta) {
    this.assertOwnerWithHolds(p);
    const workspaceId = input.scope === 'workspace' ? (input.workspace_id ?? null) : null;
    if (input.scope === 'workspace') {
      if (!workspaceId) throw new AppError(ErrorCode.Validation, 'The request body is not valid.', [{ path: 'workspace_id', message: 'is required when scope is workspace' }]);
      if (!(await this.directory.ids(p.accountId)).has(workspaceId)) throw notFound('Workspace');
    } else if (input.workspace_id) {
      throw new AppError(ErrorCode.Validation, 'The request body is not valid.', [{ path: 'workspace_id', message: 'must be empty when scope is account' }]);
    }
    return this.tenant.run(p.accountId, async (em) => {
      const hold = em.create(LegalHold, { id: newId(), account: p.accountId, scope: input.scope, workspaceId, reason: input.reason, createdBy: p.userId as string });
      await em.flush();
      await this.recordHold(em, p, 'legal_hold.placed', hold, meta);
      return legalHoldView(hold);
    });
  }

  async releaseHold(p: Principal, id: string, meta: RequestMeta) {
    this.assertOwnerWithHolds(p);
    return this.tenant.run(p.accountId, async (em) => {
      const hold = await em.findOne(LegalHold, { id });
      if (!hold) throw notFound('Legal hold');
      if (hold.releasedAt) throw new AppError(ErrorCode.Conflict, `This legal hold was already released at ${hold.releasedAt.toISOString()}.`);
      hold.releasedAt = new Date();
      hold.releasedBy = p.userId;
      await em.flush();
      await this.recordHold(em, p, 'legal_hold.released', hold, meta, { placed_at: hold.createdAt.toISOString() });
      return legalHoldView(hold);
    });
  }

  /** Placing and releasing a hold go to the account log, in the transaction that made the change. */
  private recordHold(em: EntityManager, p: Principal, action: string, hold: LegalHold, meta: RequestMeta, extra: Record<string, unknown> = {}) {
    return this.audit.record(emExecutor(em), {
      accountId: p.accountId,
      plan: p.plan,
      action,
      actor: { kind: 'principal', principal: p },
      meta,
      target: { type: 'legal_hold', id: hold.id },
      metadata: { scope: hold.scope, workspace_id: hold.workspaceId, reason: hold.reason, ...extra },
    });
  }
}
