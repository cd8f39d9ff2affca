import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { Account, emExecutor, TenantOrm } from '@audit-trail/data';
import { hasEntitlement, type PlanId, planChangeRetention, planOrFree } from '@audit-trail/plans';
import { notFound } from '../common/errors';
import { CONFIG } from '../core/tokens';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { PrincipalResolver } from '../auth/principal.resolver';

export interface PlanChangeSource {
  /** Who changed it: the billing system, an operator... (recorded as actor `system`). */
  actorId: string;
  actorName: string;
  reason?: string;
  metadata?: Record<string, unknown>;
}

@Injectable()
export class PlanService {
  constructor(
    private readonly tenant: TenantOrm,
    private readonly audit: SelfAuditService,
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly resolver: PrincipalResolver,
  ) {}

  /** Move an account to a plan; records the downgrade grace and `plan.changed`. */
  async setPlan(accountId: string, plan: PlanId, source: PlanChangeSource) {
    const result = await this.tenant.run(accountId, async (em) => {
      const account = await em.findOne(Account, { id: accountId });
      if (!account) throw notFound('Account');
      return this.applyPlan(em, account, plan, source);
    });
    // Cached API keys carry the plan: this process forgets them now, others within a second.
    this.resolver.forgetKeys();
    return result;
  }

  /** The change itself, inside a transaction the caller owns (the Stripe webhook adds its own bookkeeping). */
  async applyPlan(em: EntityManager, account: Account, plan: PlanId, source: PlanChangeSource) {
    const accountId = account.id;
    const before = planOrFree(account.plan).id;
    if (before === plan) return { account_id: accountId, plan, previous_plan: before, changed: false, retention_grace_until: account.retentionGraceUntil?.toISOString() ?? null };
    const now = new Date();
    const grace = planChangeRetention(before, plan, now, this.config.DOWNGRADE_GRACE_DAYS);
    account.plan = plan;
    account.planChangedAt = now;
    if (grace.graceUntil) {
      // Keep the longest retention promised by any plan whose grace is still running.
      const prev = account.retentionGraceUntil && account.retentionGraceUntil > now ? account.previousRetentionDays : null;
      account.previousRetentionDays = Math.max(prev ?? 0, grace.previousRetentionDays ?? 0);
      account.retentionGraceUntil = grace.graceUntil;
    }
    if (hasEntitlement(plan, 'audit_log')) account.everLicensed = true;
    await em.flush();
    // Recorded when either side of the change has the audit log, so an upgrade is the first event.
    const recordUnder = hasEntitlement(plan, 'audit_log') ? plan : before;
    await this.audit.record(emExecutor(em), {
      accountId,
      plan: recordUnder,
      action: 'plan.changed',
      actor: { kind: 'system', id: source.actorId, name: source.actorName },
      target: { type: 'account', id: accountId, name: account.name },
      changes: { before: { plan: before }, after: { plan } },
      metadata: {
        reason: source.reason ?? null,
        ...(source.metadata ?? {}),
        retention_grace_until: account.retentionGraceUntil?.toISOString() ?? null,
      },
    });
    return { account_id: accountId, plan, previous_plan: before, changed: true, retention_grace_until: account.retentionGraceUntil?.toISOString() ?? null };
  }
}
