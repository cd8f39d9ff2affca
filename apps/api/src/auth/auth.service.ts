import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { Account, accountRequiresSso, Database, emExecutor, Invitation, invitationByHash, loginByEmail, Membership, membershipsOfUser, type MembershipSummary, Session, sessionAuthMethod, TenantOrm, User, userIdByEmail, Workspace, insertProvisionedUser, insertSsoMembership, membershipOfUser, readAccountPlan } from '@audit-trail/data';
import { DEFAULT_PLAN, hasEntitlement, planOrFree } from '@audit-trail/plans';
import { newId as uuidv7 } from '@audit-trail/audit-core';
import type { z } from 'zod';
import { AppError, ErrorCode } from '../common/errors';
import type { Principal, RequestMeta } from '../common/principal';
import { SelfAuditService } from '../self-audit/self-audit.service';
import type { acceptInvitationSchema, loginSchema, signupSchema, switchAccountSchema } from './auth.schemas';
import { hashPassword, verifyPassword } from './passwords';
import { MfaService, type SecondFactor } from './mfa.service';
import { randomToken, SESSION_TTL_MS, sha256 } from './secrets';

export interface NewSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  accountId: string;
  userId: string;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly tenant: TenantOrm,
    private readonly db: Database,
    private readonly audit: SelfAuditService,
    private readonly mfa: MfaService,
  ) {}

  private newSession(accountId: string, userId: string, meta: RequestMeta, authMethod: 'password' | 'sso' = 'password'): { entity: Session; session: NewSession } {
    const token = randomToken(32);
    const csrfToken = randomToken(24);
    const entity = new Session();
    entity.id = uuidv7();
    entity.tokenHash = sha256(token);
    entity.user = userId;
    entity.account = accountId;
    entity.csrfToken = csrfToken;
    entity.ip = meta.ip;
    entity.userAgent = meta.userAgent;
    entity.expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    entity.authMethod = authMethod;
    return { entity, session: { token, csrfToken, expiresAt: entity.expiresAt, accountId, userId } };
  }

  private async emailTaken(email: string): Promise<boolean> {
    return (await userIdByEmail(this.db, email)) !== null;
  }

  async signup(input: z.infer<typeof signupSchema>, meta: RequestMeta): Promise<NewSession & { workspaceId: string }> {
    const email = input.email.toLowerCase();
    if (await this.emailTaken(email)) throw new AppError(ErrorCode.Conflict, 'A user with this email already exists; sign in instead.');
    const passwordHash = await hashPassword(input.password);
    const accountId = uuidv7();
    const userId = uuidv7();
    const workspaceId = uuidv7();
    try {
      return await this.tenant.run(
        accountId,
        async (em) => {
          const account = em.create(Account, { id: accountId, name: input.account_name, plan: DEFAULT_PLAN });
          const user = em.create(User, { id: userId, email, name: input.name ?? null, passwordHash });
          em.create(Membership, { id: uuidv7(), account: accountId, user: userId, role: 'owner', workspaceIds: [] });
          em.create(Workspace, { id: workspaceId, account: accountId, name: 'Production' });
          const { entity, session } = this.newSession(accountId, userId, meta);
          em.persist(entity);
          await em.flush();
          await this.audit.record(emExecutor(em), {
            accountId,
            plan: planOrFree(account.plan).id,
            action: 'user.signed_up',
            actor: { kind: 'user', userId, email, name: user.name },
            meta,
            target: { type: 'account', id: accountId, name: account.name },
          });
          return { ...session, workspaceId };
        },
        userId,
      );
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        throw new AppError(ErrorCode.Conflict, 'A user with this email already exists; sign in instead.');
      }
      throw err;
    }
  }

  /** The person behind an email at sign-in (password hash, default account and its plan), if any. */
  private async lookupLogin(email: string) {
    return loginByEmail(this.db, email);
  }

  /** A refused sign-in, in the person's account log (when the account records). */
  private async recordSignInRefusal(user: Awaited<ReturnType<AuthService['lookupLogin']>>, email: string, action: string, meta: RequestMeta, metadata: Record<string, unknown>) {
    if (!user?.account_id || !user.plan) return;
    const accountId = user.account_id;
    await this.tenant.run(accountId, (em) =>
      this.audit.record(emExecutor(em), {
        accountId,
        plan: planOrFree(user.plan as string).id,
        action,
        actor: { kind: 'user', userId: user.user_id, email, name: user.name },
        meta,
        outcome: 'failure',
        metadata,
      }),
    );
  }

  /** The sign-in limit refused this address for an email: say so in that person's account log. */
  async recordLockout(emailInput: string, meta: RequestMeta, limit: { limit: number; ttl: number; timeToExpire?: number }): Promise<void> {
    const email = emailInput.toLowerCase().slice(0, 320);
    await this.recordSignInRefusal(await this.lookupLogin(email), email, 'auth.locked_out', meta, {
      attempts_allowed: limit.limit,
      window_seconds: Math.round(limit.ttl / 1000),
      retry_after_seconds: limit.timeToExpire ?? null,
    });
  }

  async login(input: z.infer<typeof loginSchema>, meta: RequestMeta): Promise<NewSession> {
    const email = input.email.toLowerCase();
    const user = await this.lookupLogin(email);
    const ok = await verifyPassword(user?.password_hash ?? null, input.password);
    if (!user || !ok) {
      await this.recordSignInRefusal(user, email, 'auth.login_failed', meta, { reason: 'wrong_password' });
      throw new AppError(ErrorCode.Unauthenticated, 'The email or password is wrong.');
    }
    let accountId = user.account_id;
    if (input.account_id) {
      const ms = await membershipsOfUser(this.db, user.user_id);
      if (!ms.some((m) => m.account_id === input.account_id)) throw new AppError(ErrorCode.NotFound, 'Account was not found.');
      accountId = input.account_id;
    }
    if (!accountId) throw new AppError(ErrorCode.Forbidden, 'This user is not a member of any account.');
    const target = accountId;
    await this.checkSsoPolicy(target, user.user_id, Boolean(user.totp_secret), async () => {
      await this.recordSignInRefusal(user, email, 'auth.login_failed', meta, { reason: 'sso_required' });
    });
    // With two-factor on, the password alone does not sign in.
    let secondFactor: SecondFactor | null = null;
    if (user.totp_secret) {
      if (!input.totp && !input.recovery_code) {
        throw new AppError(ErrorCode.MfaRequired, 'Enter the 6-digit code from your authenticator app (`totp`), or one of your recovery codes (`recovery_code`).');
      }
      secondFactor = await this.mfa.verifyAtSignIn(target, user, input);
      if (!secondFactor) {
        await this.recordSignInRefusal(user, email, 'auth.mfa_failed', meta, { method: input.totp ? 'totp' : 'recovery_code' });
        throw new AppError(ErrorCode.Unauthenticated, 'The code is wrong, or was already used.');
      }
    }
    return this.tenant.run(
      target,
      async (em) => {
        const account = await em.findOneOrFail(Account, { id: target });
        const { entity, session } = this.newSession(target, user.user_id, meta);
        em.persist(entity);
        await em.flush();
        await this.audit.record(emExecutor(em), {
          accountId: target,
          plan: planOrFree(account.plan).id,
          action: 'auth.login',
          actor: { kind: 'user', userId: user.user_id, email, name: user.name },
          meta,
          metadata: {
            // How the person proved who they are: password (with or without a code), or a one-use recovery code instead of the code.
            method: secondFactor?.method === 'recovery_code' ? 'recovery_code' : 'password',
            second_factor: secondFactor?.method ?? null,
            ...(secondFactor?.method === 'recovery_code' ? { recovery_codes_left: secondFactor.remaining } : {}),
          },
        });
        return session;
      },
      user.user_id,
    );
  }

  /**
   * "SSO required": a member may not sign in with a password; an owner may,
   * but only with a second factor (their way back in if the identity
   * provider fails). Nothing happens for an account that does not require it.
   */
  private async checkSsoPolicy(accountId: string, userId: string, hasTotp: boolean, onRefuse: () => Promise<void>): Promise<void> {
    const policy = await this.db.tenant(
      accountId,
      async (c) => ({
        // Without the plan's single sign-on, the switch sleeps (nobody is locked out by a downgrade).
        required: (await accountRequiresSso(c, accountId)) && hasEntitlement(planOrFree((await readAccountPlan(c, accountId)) ?? '').id, 'sso'),
        member: await membershipOfUser(c, userId),
      }),
      { readOnly: true, userId },
    );
    if (!policy.required) return;
    if (policy.member?.role === 'owner' && hasTotp) return;
    await onRefuse();
    throw new AppError(
      ErrorCode.SsoRequired,
      policy.member?.role === 'owner'
        ? 'This account requires single sign-on. Owners may also sign in with a password, but only with two-factor on; use "Continue with SSO".'
        : 'This account requires single sign-on: use "Continue with SSO" with your work email.',
    );
  }

  /**
   * Finish a single sign-on: the identity provider vouched for this email
   * (its domain verified by the account). An existing member signs in; a
   * person who is not yet a member joins with the connection's default role
   * (just in time), with a login created if there was none. A membership an
   * identity provider deactivated over SCIM stays shut.
   */
  async signInWithSso(
    accountId: string,
    person: { email: string; name: string | null },
    sso: { protocol: 'oidc' | 'saml'; defaultRole: 'admin' | 'member'; subject: string },
    meta: RequestMeta,
  ): Promise<NewSession> {
    const email = person.email.toLowerCase();
    const existing = await userIdByEmail(this.db, email);
    const userId = existing ?? uuidv7();
    return this.tenant.run(
      accountId,
      async (em) => {
        const exec = emExecutor(em);
        const account = await em.findOneOrFail(Account, { id: accountId });
        const plan = planOrFree(account.plan).id;
        const membership = await membershipOfUser(exec, userId);
        if (membership?.deactivated_at) {
          throw new AppError(ErrorCode.Forbidden, 'Your membership of this account was deactivated by your identity provider; ask your administrator.');
        }
        let name = person.name;
        if (!existing) await insertProvisionedUser(exec, { id: userId, email, name });
        else name = (await em.findOne(User, { id: userId }))?.name ?? name;
        const actor = { kind: 'user' as const, userId, email, name };
        if (!membership) {
          await insertSsoMembership(exec, { id: uuidv7(), accountId, userId, role: sso.defaultRole });
          await this.audit.record(exec, {
            accountId,
            plan,
            action: 'member.joined',
            actor,
            meta,
            target: { type: 'user', id: userId, name: name ?? email },
            metadata: { role: sso.defaultRole, via: 'sso', protocol: sso.protocol, existing_login: Boolean(existing) },
          });
        }
        const { entity, session } = this.newSession(accountId, userId, meta, 'sso');
        em.persist(entity);
        await em.flush();
        await this.audit.record(exec, {
          accountId,
          plan,
          action: 'auth.login',
          actor,
          meta,
          metadata: { method: 'sso', protocol: sso.protocol, just_in_time: !membership, idp_subject: sso.subject },
        });
        return session;
      },
      userId,
    );
  }

  async logout(p: Principal, meta: RequestMeta): Promise<void> {
    if (p.kind !== 'session' || !p.sessionId) throw new AppError(ErrorCode.Malformed, 'Only a console session can sign out.');
    const sessionId = p.sessionId;
    await this.tenant.run(p.accountId, async (em) => {
      await em.nativeDelete(Session, { id: sessionId });
      await this.audit.record(emExecutor(em), { accountId: p.accountId, plan: p.plan, action: 'auth.logout', actor: { kind: 'principal', principal: p }, meta });
    });
  }

  /** Every account a person belongs to, oldest membership first (they are global; the lookup bypasses tenancy on purpose). */
  memberships(userId: string): Promise<MembershipSummary[]> {
    return membershipsOfUser(this.db, userId);
  }

  /**
   * Move the console to another account of the same person: a new session
   * there (audited as a sign-in in that account), and the old one ends
   * (audited as a sign-out in this one). Not a member: 404, nothing changes.
   */
  async switchAccount(p: Principal, input: z.infer<typeof switchAccountSchema>, meta: RequestMeta): Promise<NewSession> {
    if (p.kind !== 'session' || !p.userId || !p.sessionId) throw new AppError(ErrorCode.Malformed, 'Only a console session can switch accounts.');
    const userId = p.userId;
    const oldSessionId = p.sessionId;
    const target = (await this.memberships(userId)).find((m) => m.account_id === input.account_id);
    if (!target) throw new AppError(ErrorCode.NotFound, 'Account was not found.');
    if (target.account_id === p.accountId) throw new AppError(ErrorCode.Conflict, 'This session is already in that account.');
    // An identity provider vouches for a person in its own account only.
    if ((await this.db.tenant(p.accountId, (c) => sessionAuthMethod(c, oldSessionId), { readOnly: true })) === 'sso') {
      throw new AppError(ErrorCode.Forbidden, 'This session began with single sign-on for this account; sign in to the other account on its own.');
    }
    const hasTotp = Boolean((await this.lookupLogin(p.email ?? ''))?.totp_secret);
    await this.checkSsoPolicy(target.account_id, userId, hasTotp, () => Promise.resolve());
    const session = await this.tenant.run(
      target.account_id,
      async (em) => {
        const user = await em.findOneOrFail(User, { id: userId });
        const { entity, session } = this.newSession(target.account_id, userId, meta);
        em.persist(entity);
        await em.flush();
        await this.audit.record(emExecutor(em), {
          accountId: target.account_id,
          plan: planOrFree(target.plan).id,
          action: 'auth.login',
          actor: { kind: 'user', userId, email: user.email, name: user.name },
          meta,
          metadata: { method: 'account_switch' },
        });
        return session;
      },
      userId,
    );
    await this.tenant.run(p.accountId, async (em) => {
      await em.nativeDelete(Session, { id: oldSessionId });
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId, plan: p.plan, action: 'auth.logout', actor: { kind: 'principal', principal: p }, meta, metadata: { reason: 'account_switch' },
      });
    });
    return session;
  }

  /**
   * Accept an invitation. A new person gets a login (name and a password of
   * 10+ characters); a person who already has one proves it with its
   * password. Then the membership and a session in the inviting account.
   */
  async acceptInvitation(token: string, input: z.infer<typeof acceptInvitationSchema>, meta: RequestMeta): Promise<NewSession> {
    const inv = await invitationByHash(this.db, sha256(token));
    const existing = inv ? await loginByEmail(this.db, inv.email) : undefined;
    if (!inv || inv.accepted_at || inv.expires_at.getTime() < Date.now()) {
      throw new AppError(ErrorCode.NotFound, 'The invitation was not found, was already used, or has expired.');
    }
    const invitation = inv;
    let userId: string;
    let name: string | null;
    let passwordHash: string | null = null;
    if (existing) {
      if (!(await verifyPassword(existing.password_hash, input.password))) {
        throw new AppError(ErrorCode.Unauthenticated, `${invitation.email} already has an Audit Trail login; enter its password to join this account.`);
      }
      if ((await this.memberships(existing.user_id)).some((m) => m.account_id === invitation.account_id)) {
        throw new AppError(ErrorCode.Conflict, 'You are already a member of this account; sign in instead.');
      }
      if (existing.totp_secret) {
        if (!input.totp && !input.recovery_code) throw new AppError(ErrorCode.MfaRequired, 'Your login has two-factor on: add the code from your authenticator app (`totp`) or a recovery code.');
        if (!(await this.mfa.verifyAtSignIn(invitation.account_id, existing, input))) throw new AppError(ErrorCode.Unauthenticated, 'The code is wrong, or was already used.');
      }
      userId = existing.user_id;
      name = existing.name;
    } else {
      const errors = [
        ...(input.name ? [] : [{ path: 'name', message: 'is required' }]),
        ...(input.password.length >= 10 ? [] : [{ path: 'password', message: 'must be at least 10 characters' }]),
      ];
      if (errors.length) throw new AppError(ErrorCode.Validation, 'Choose your name and a password of at least 10 characters.', errors);
      userId = uuidv7();
      name = input.name ?? null;
      passwordHash = await hashPassword(input.password);
    }
    return this.tenant.run(
      invitation.account_id,
      async (em) => {
        const row = await em.findOneOrFail(Invitation, { id: invitation.id });
        if (row.acceptedAt) throw new AppError(ErrorCode.Conflict, 'The invitation was already used.');
        row.acceptedAt = new Date();
        const account = await em.findOneOrFail(Account, { id: invitation.account_id });
        if (account.requireSso && hasEntitlement(planOrFree(account.plan).id, 'sso') && row.role !== 'owner') {
          throw new AppError(ErrorCode.SsoRequired, 'This account requires single sign-on: use "Continue with SSO" with your work email to join.');
        }
        if (passwordHash) em.create(User, { id: userId, email: invitation.email, name, passwordHash });
        em.create(Membership, { id: uuidv7(), account: invitation.account_id, user: userId, role: row.role, workspaceIds: row.workspaceIds });
        const { entity, session } = this.newSession(invitation.account_id, userId, meta);
        em.persist(entity);
        await em.flush();
        await this.audit.record(emExecutor(em), {
          accountId: invitation.account_id,
          plan: planOrFree(account.plan).id,
          action: 'member.joined',
          actor: { kind: 'user', userId, email: invitation.email, name },
          meta,
          target: { type: 'user', id: userId, name: name ?? undefined },
          metadata: { role: row.role, invitation_id: row.id, existing_login: !passwordHash },
        });
        return session;
      },
      userId,
    );
  }
}
