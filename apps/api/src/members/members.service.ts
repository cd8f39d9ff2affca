import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@audit-trail/config';
import { Account, emExecutor, endSessionsOf, Invitation, Membership, ROLES, TenantOrm, User, Workspace } from '@audit-trail/data';
import { newId as uuidv7 } from '@audit-trail/audit-core';
import { z } from 'zod';
import { randomToken, sha256 } from '../auth/secrets';
import { AppError, ErrorCode, notFound } from '../common/errors';
import type { Principal, RequestMeta } from '../common/principal';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { MailerService } from '../core/mailer.service';
import { CONFIG } from '../core/tokens';
import type { EntityManager } from '@mikro-orm/postgresql';

export const inviteSchema = z.strictObject({
  email: z.email('must be an email address').max(320),
  role: z.enum(ROLES).default('member'),
  workspace_ids: z.array(z.uuid()).max(100).default([]),
});

export const updateMemberSchema = z
  .strictObject({ role: z.enum(ROLES).optional(), workspace_ids: z.array(z.uuid()).max(100).optional() })
  .refine((v) => v.role !== undefined || v.workspace_ids !== undefined, { message: 'send role or workspace_ids' });

const INVITATION_TTL_MS = 7 * 86_400_000;

@Injectable()
export class MembersService {
  constructor(
    private readonly tenant: TenantOrm,
    private readonly audit: SelfAuditService,
    private readonly mailer: MailerService,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  private async checkWorkspaces(em: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = await em.count(Workspace, { id: { $in: ids } });
    if (found !== new Set(ids).size) {
      throw new AppError(ErrorCode.Validation, 'The request body is not valid.', [{ path: 'workspace_ids', message: 'names a workspace that does not exist' }]);
    }
  }

  async list(p: Principal) {
    return this.tenant.run(p.accountId, async (em) => {
      const members = await em.find(Membership, {}, { orderBy: { createdAt: 'asc' } });
      const users = await em.find(User, { id: { $in: members.map((m) => m.user) } });
      const byId = new Map(users.map((u) => [u.id, u]));
      const invitations = await em.find(Invitation, { acceptedAt: null, expiresAt: { $gt: new Date() } }, { orderBy: { createdAt: 'desc' } });
      return {
        data: members.map((m) => ({
          id: m.id,
          user_id: m.user,
          email: byId.get(m.user)?.email ?? null,
          name: byId.get(m.user)?.name ?? null,
          role: m.role,
          workspace_ids: m.workspaceIds,
          created_at: m.createdAt.toISOString(),
          /** Set when the identity provider deactivated the member (SCIM): they sign in nowhere in this account. */
          deactivated_at: m.deactivatedAt?.toISOString() ?? null,
          scim_external_id: m.scimExternalId,
        })),
        invitations: invitations.map((i) => ({ id: i.id, email: i.email, role: i.role, workspace_ids: i.workspaceIds, expires_at: i.expiresAt.toISOString() })),
        next_cursor: null,
      };
    }, p.userId ?? undefined);
  }

  async invite(p: Principal, input: z.infer<typeof inviteSchema>, meta: RequestMeta, origin: string) {
    if (input.role === 'owner' && p.role !== 'owner' && p.kind === 'session') throw new AppError(ErrorCode.Forbidden, 'Only an owner can invite an owner.');
    const token = randomToken(32);
    const invitation = await this.tenant.run(p.accountId, async (em) => {
      await this.checkWorkspaces(em, input.workspace_ids);
      const inv = em.create(Invitation, {
        id: uuidv7(), account: p.accountId, email: input.email.toLowerCase(), role: input.role, workspaceIds: input.workspace_ids,
        tokenHash: sha256(token), invitedBy: p.userId, expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      });
      await em.flush();
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId, plan: p.plan, action: 'member.invited', actor: { kind: 'principal', principal: p }, meta,
        target: { type: 'invitation', id: inv.id, name: inv.email }, metadata: { email: inv.email, role: inv.role, workspace_ids: inv.workspaceIds },
      });
      return { id: inv.id, token, email: inv.email, role: inv.role, workspace_ids: inv.workspaceIds, expires_at: inv.expiresAt.toISOString(), account_name: (await em.findOneOrFail(Account, { id: p.accountId })).name };
    });
    const { account_name: accountName, ...answer } = invitation;
    if (!this.mailer.enabled) return { ...answer, emailed: false };
    const link = `${(this.config.PUBLIC_URL ?? origin).replace(/\/+$/, '')}/invitations/${encodeURIComponent(token)}`;
    const inviter = p.kind === 'session' ? (p.name ?? p.email ?? 'Someone') : 'An administrator';
    const emailed = await this.mailer.send({
      to: answer.email,
      subject: `${inviter} invited you to ${accountName} on Audit Trail`,
      text: `${inviter} invited you to join ${accountName} on Audit Trail as ${answer.role}.\n\nAccept within 7 days:\n${link}\n`,
    });
    return { ...answer, emailed };
  }

  /** A pending invitation is withdrawn: deleted, so its token no longer signs anyone up; audited. */
  async revokeInvitation(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    await this.tenant.run(p.accountId, async (em) => {
      const inv = await em.findOne(Invitation, { id, acceptedAt: null });
      if (!inv) throw notFound('Invitation');
      em.remove(inv);
      await em.flush();
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId, plan: p.plan, action: 'member.invitation_revoked', actor: { kind: 'principal', principal: p }, meta,
        target: { type: 'invitation', id: inv.id, name: inv.email }, metadata: { email: inv.email, role: inv.role },
      });
    });
  }

  private async ownerCount(em: EntityManager): Promise<number> {
    return em.count(Membership, { role: 'owner' });
  }

  async update(p: Principal, id: string, input: z.infer<typeof updateMemberSchema>, meta: RequestMeta) {
    return this.tenant.run(p.accountId, async (em) => {
      const m = await em.findOne(Membership, { id });
      if (!m) throw notFound('Member');
      const touchesOwner = m.role === 'owner' || input.role === 'owner';
      if (touchesOwner && p.kind === 'session' && p.role !== 'owner') throw new AppError(ErrorCode.Forbidden, 'Only an owner can change an owner.');
      if (m.role === 'owner' && input.role && input.role !== 'owner' && (await this.ownerCount(em)) <= 1) {
        throw new AppError(ErrorCode.Conflict, 'The account must keep at least one owner.');
      }
      if (input.workspace_ids) await this.checkWorkspaces(em, input.workspace_ids);
      const before = { role: m.role, workspace_ids: m.workspaceIds };
      if (input.role) m.role = input.role;
      if (input.workspace_ids) m.workspaceIds = input.workspace_ids;
      await em.flush();
      const user = await em.findOne(User, { id: m.user });
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId, plan: p.plan, action: 'member.role_changed', actor: { kind: 'principal', principal: p }, meta,
        target: { type: 'user', id: m.user, name: user?.email ?? undefined },
        changes: { before, after: { role: m.role, workspace_ids: m.workspaceIds } },
      });
      return { id: m.id, user_id: m.user, email: user?.email ?? null, name: user?.name ?? null, role: m.role, workspace_ids: m.workspaceIds, created_at: m.createdAt.toISOString() };
    }, p.userId ?? undefined);
  }

  async remove(p: Principal, id: string, meta: RequestMeta) {
    await this.tenant.run(p.accountId, async (em) => {
      const m = await em.findOne(Membership, { id });
      if (!m) throw notFound('Member');
      if (m.role === 'owner') {
        if (p.kind === 'session' && p.role !== 'owner') throw new AppError(ErrorCode.Forbidden, 'Only an owner can remove an owner.');
        if ((await this.ownerCount(em)) <= 1) throw new AppError(ErrorCode.Conflict, 'The account must keep at least one owner.');
      }
      const user = await em.findOne(User, { id: m.user });
      em.remove(m);
      await em.flush();
      // Their sessions in this account end with the membership.
      await endSessionsOf(emExecutor(em), m.user, p.accountId);
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId, plan: p.plan, action: 'member.removed', actor: { kind: 'principal', principal: p }, meta,
        target: { type: 'user', id: m.user, name: user?.email ?? undefined }, metadata: { role: m.role },
      });
    }, p.userId ?? undefined);
  }

  /** An admin ends every session a member has in this account (a lost laptop, a departure in progress). */
  async endSessions(p: Principal, id: string, meta: RequestMeta): Promise<{ sessions_ended: number }> {
    return this.tenant.run(p.accountId, async (em) => {
      const m = await em.findOne(Membership, { id });
      if (!m) throw notFound('Member');
      const user = await em.findOne(User, { id: m.user });
      const ended = await endSessionsOf(emExecutor(em), m.user, p.accountId);
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId, plan: p.plan, action: 'session.revoked', actor: { kind: 'principal', principal: p }, meta,
        target: { type: 'user', id: m.user, name: user?.email ?? undefined }, metadata: { sessions_ended: ended, scope: 'member' },
      });
      return { sessions_ended: ended };
    }, p.userId ?? undefined);
  }
}
