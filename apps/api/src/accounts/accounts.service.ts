import { Injectable } from '@nestjs/common';
import { Account, emExecutor, TenantOrm, User, Workspace } from '@audit-trail/data';
import { entitlementsOf, getPlan, hasEntitlement, PLAN_IDS } from '@audit-trail/plans';
import { Inject } from '@nestjs/common';
import { CONFIG } from '../core/tokens';
import type { AppConfig } from '@audit-trail/config';
import { newId as uuidv7, type WorkspaceView } from '@audit-trail/audit-core';
import { AppError, ErrorCode, notFound } from '../common/errors';
import type { Principal, RequestMeta } from '../common/principal';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { WorkspaceDirectory } from '../events/workspace-directory';
import { RetentionService } from '../retention/retention.service';
import { AuthService } from '../auth/auth.service';

export function workspaceView(w: Workspace): WorkspaceView {
  return { id: w.id, name: w.name, created_at: w.createdAt.toISOString() };
}

@Injectable()
export class AccountsService {
  constructor(
    private readonly tenant: TenantOrm,
    private readonly audit: SelfAuditService,
    private readonly directory: WorkspaceDirectory,
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly retention: RetentionService,
    private readonly auth: AuthService,
  ) {}

  async describe(p: Principal) {
    const { account, mfaEnabled } = await this.tenant.run(
      p.accountId,
      async (em) => ({
        account: await em.findOneOrFail(Account, { id: p.accountId }),
        mfaEnabled: p.userId ? Boolean((await em.findOne(User, { id: p.userId }))?.totpEnabledAt) : false,
      }),
      p.userId ?? undefined,
    );
    const plan = getPlan(p.plan);
    const accounts = p.userId ? (await this.auth.memberships(p.userId)).map((r) => ({ id: r.account_id, name: r.account_name, role: r.role })) : [];
    return {
      id: account.id,
      name: account.name,
      plan: plan.id,
      plan_name: plan.name,
      entitlements: entitlementsOf(plan.id),
      created_at: account.createdAt.toISOString(),
      retention_grace_until: account.retentionGraceUntil?.toISOString() ?? null,
      retention: await this.retention.summary(account),
      require_mfa: account.requireMfa,
      me: p.kind === 'session'
        ? { kind: 'user', user_id: p.userId, email: p.email, name: p.name, role: p.role, admin_workspace_ids: p.adminWorkspaceIds, mfa_enabled: mfaEnabled, mfa_setup_required: p.mfaSetupRequired ?? false }
        : { kind: 'api_key', api_key_id: p.apiKeyId, scopes: [...p.scopes], workspace_id: p.boundWorkspaceId },
      accounts,
      audit_log_enabled: hasEntitlement(plan.id, 'audit_log'),
      billing_mode: this.config.BILLING_MODE,
      plans: PLAN_IDS.map((id) => ({ id, name: getPlan(id).name, entitlements: entitlementsOf(id) })),
    };
  }

  async listWorkspaces(p: Principal) {
    return this.tenant.run(p.accountId, async (em) => {
      const list = await em.find(Workspace, {}, { orderBy: { createdAt: 'asc' } });
      const visible = p.kind === 'api_key' && p.boundWorkspaceId ? list.filter((w) => w.id === p.boundWorkspaceId) : list;
      return visible.map(workspaceView);
    });
  }

  async createWorkspace(p: Principal, name: string, meta: RequestMeta) {
    return this.tenant.run(p.accountId, async (em) => {
      const count = await em.count(Workspace, {});
      if (count >= 100) throw new AppError(ErrorCode.Conflict, 'An account can have at most 100 workspaces.');
      const w = em.create(Workspace, { id: uuidv7(), account: p.accountId, name });
      await em.flush();
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId, plan: p.plan, action: 'workspace.created', actor: { kind: 'principal', principal: p }, meta,
        target: { type: 'workspace', id: w.id, name },
      });
      this.directory.forget(p.accountId);
      return workspaceView(w);
    });
  }

  async renameWorkspace(p: Principal, id: string, name: string, meta: RequestMeta) {
    return this.tenant.run(p.accountId, async (em) => {
      const w = await em.findOne(Workspace, { id });
      if (!w) throw notFound('Workspace');
      const before = w.name;
      w.name = name;
      await em.flush();
      if (before !== name) {
        await this.audit.record(emExecutor(em), {
          accountId: p.accountId, plan: p.plan, action: 'workspace.renamed', actor: { kind: 'principal', principal: p }, meta,
          target: { type: 'workspace', id, name }, changes: { before: { name: before }, after: { name } },
        });
      }
      return workspaceView(w);
    });
  }

  async deleteWorkspace(p: Principal, id: string, meta: RequestMeta) {
    await this.tenant.run(p.accountId, async (em) => {
      const w = await em.findOne(Workspace, { id });
      if (!w) throw notFound('Workspace');
      const count = await em.count(Workspace, {});
      if (count <= 1) throw new AppError(ErrorCode.Conflict, 'An account keeps at least one workspace.');
      em.remove(w);
      await em.flush();
      this.directory.forget(p.accountId);
      // The workspace's events stay: an audit log is not deleted with its subject.
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId, plan: p.plan, action: 'workspace.deleted', actor: { kind: 'principal', principal: p }, meta,
        target: { type: 'workspace', id, name: w.name },
      });
    });
  }
}
