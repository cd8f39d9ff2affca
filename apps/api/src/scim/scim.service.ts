import { Injectable } from '@nestjs/common';
import { newId } from '@audit-trail/audit-core';
import { activeOwnerCount, Database, deleteMembership, endSessionsOf, insertProvisionedUser, insertScimMembership, insertScimToken, listScimTokens, renameProvisionedUser, revokeScimToken, type ScimMemberRow, scimMember, scimMembers, type SqlExecutor, updateScimMembership, userIdByEmail } from '@audit-trail/data';
import type { PlanId } from '@audit-trail/plans';
import { randomToken, sha256 } from '../auth/secrets';
import { notFound } from '../common/errors';
import type { Principal, RequestMeta } from '../common/principal';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { activeValue, displayNameOf, parseFilter, SCIM_LIST, SCIM_TOKEN_PREFIX, ScimError, type ScimPatchOp, type ScimUserInput, userResource } from './scim';

/** Who is provisioning: a SCIM token of the account. */
export interface ScimCaller {
  accountId: string;
  plan: PlanId;
  tokenId: string;
}

/**
 * SCIM 2.0 Users for one account. A SCIM User is a membership: creating one
 * adds the person (a new login without a password, or an existing login) as
 * a member; `active: false` deactivates the membership and ends its sessions
 * at once; DELETE removes it. Every operation is audited in the account log.
 */
@Injectable()
export class ScimService {
  constructor(
    private readonly db: Database,
    private readonly audit: SelfAuditService,
  ) {}

  // ---- tokens (/v1/scim/tokens, admins) ---------------------------------

  async createToken(p: Principal, name: string, meta: RequestMeta): Promise<{ id: string; name: string; token: string }> {
    const token = SCIM_TOKEN_PREFIX + randomToken(32);
    const id = newId();
    await this.db.tenant(p.accountId, async (c) => {
      await insertScimToken(c, { id, accountId: p.accountId, name, hash: sha256(token), createdBy: p.userId });
      await this.audit.record(c, { accountId: p.accountId, plan: p.plan, action: 'scim.token_created', actor: { kind: 'principal', principal: p }, meta, target: { type: 'scim_token', id, name } });
    });
    return { id, name, token };
  }

  async listTokens(p: Principal) {
    const rows = await this.db.tenant(p.accountId, (c) => listScimTokens(c), { readOnly: true });
    return { data: rows.map((r) => ({ id: r.id, name: r.name, created_at: r.created_at.toISOString(), last_used_at: r.last_used_at?.toISOString() ?? null })), next_cursor: null };
  }

  async revokeToken(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    await this.db.tenant(p.accountId, async (c) => {
      const row = await revokeScimToken(c, id);
      if (!row) throw notFound('SCIM token');
      await this.audit.record(c, { accountId: p.accountId, plan: p.plan, action: 'scim.token_revoked', actor: { kind: 'principal', principal: p }, meta, target: { type: 'scim_token', id, name: row.name } });
    });
  }

  // ---- SCIM Users ----------------------------------------------------------

  private record(c: SqlExecutor, s: ScimCaller, meta: RequestMeta, action: string, m: Pick<ScimMemberRow, 'user_id' | 'email'>, metadata: Record<string, unknown> = {}) {
    return this.audit.record(c, {
      accountId: s.accountId,
      plan: s.plan,
      action,
      actor: { kind: 'system', id: `scim:${s.tokenId}`, name: 'SCIM provisioning' },
      meta,
      target: { type: 'user', id: m.user_id, name: m.email },
      metadata: { scim_token_id: s.tokenId, ...metadata },
    });
  }

  async list(s: ScimCaller, q: { filter?: string; startIndex?: number; count?: number }, base: string) {
    const filter = parseFilter(q.filter, ['userName', 'externalId'] as const);
    const start = Math.max(1, q.startIndex ?? 1);
    const count = Math.min(200, Math.max(0, q.count ?? 100));
    const { rows, total } = await this.db.tenant(s.accountId, (c) => scimMembers(c, { ...filter, offset: start - 1, limit: count }), { readOnly: true });
    return { schemas: [SCIM_LIST], totalResults: total, startIndex: start, itemsPerPage: rows.length, Resources: rows.map((r) => userResource(r, base)) };
  }

  async get(s: ScimCaller, id: string, base: string) {
    const m = await this.db.tenant(s.accountId, (c) => scimMember(c, id), { readOnly: true });
    if (!m) throw new ScimError(404, `User ${id} was not found.`);
    return userResource(m, base);
  }

  async create(s: ScimCaller, input: ScimUserInput, meta: RequestMeta, base: string) {
    const email = input.userName.toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new ScimError(400, 'userName must be the person’s email address.', 'invalidValue');
    const existing = await userIdByEmail(this.db, email);
    const userId = existing ?? newId();
    const membershipId = newId();
    const created = await this.db.tenant(
      s.accountId,
      async (c) => {
        if ((await scimMembers(c, { userName: email, offset: 0, limit: 1 })).total > 0) throw new ScimError(409, `${email} is already a member of this account.`, 'uniqueness');
        if (!existing) await insertProvisionedUser(c, { id: userId, email, name: displayNameOf(input) });
        await insertScimMembership(c, { id: membershipId, accountId: s.accountId, userId, externalId: input.externalId ?? null });
        if (input.active === false) await updateScimMembership(c, membershipId, { active: false });
        const m = (await scimMember(c, membershipId)) as ScimMemberRow;
        await this.record(c, s, meta, 'scim.user_created', m, { existing_login: Boolean(existing), active: input.active !== false });
        return m;
      },
      { userId },
    );
    return userResource(created, base);
  }

  /** PUT: the attributes we keep are replaced; the login's email (userName) cannot change here. */
  async replace(s: ScimCaller, id: string, input: ScimUserInput, meta: RequestMeta, base: string) {
    return this.change(s, id, meta, base, (m) => {
      if (input.userName.toLowerCase() !== m.email) throw new ScimError(400, 'userName is the login’s email and cannot be changed through SCIM.', 'mutability');
      return { externalId: input.externalId ?? null, name: displayNameOf(input), active: input.active ?? true };
    });
  }

  /** PATCH with the shapes providers send: `{op, path: "active", value}` or `{op, value: {active, …}}`. */
  async patch(s: ScimCaller, id: string, ops: ScimPatchOp[], meta: RequestMeta, base: string) {
    return this.change(s, id, meta, base, () => {
      const out: { externalId?: string | null; name?: string | null; active?: boolean } = {};
      const apply = (path: string, value: unknown, op: ScimPatchOp['op']) => {
        const key = path.toLowerCase();
        if (key === 'active') {
          const v = activeValue.safeParse(value);
          if (!v.success) throw new ScimError(400, '`active` must be true or false.', 'invalidValue');
          out.active = v.data;
        } else if (key === 'externalid') out.externalId = op === 'remove' ? null : typeof value === 'string' ? value : null;
        else if (key === 'displayname' || key === 'name.formatted') out.name = op === 'remove' ? null : typeof value === 'string' ? value : null;
        else if (key === 'name' && value && typeof value === 'object') out.name = displayNameOf({ name: value as ScimUserInput['name'] });
        // Other attributes (emails, title, …) are not kept: accepted and ignored.
      };
      for (const op of ops) {
        if (op.path) apply(op.path, op.value, op.op);
        else if (op.value && typeof op.value === 'object') for (const [k, v] of Object.entries(op.value as Record<string, unknown>)) apply(k, v, op.op);
        else throw new ScimError(400, 'An operation without a path needs an object value.', 'invalidSyntax');
      }
      return out;
    });
  }

  private async change(s: ScimCaller, id: string, meta: RequestMeta, base: string, decide: (m: ScimMemberRow) => { externalId?: string | null; name?: string | null; active?: boolean }) {
    const before = await this.db.tenant(s.accountId, (c) => scimMember(c, id), { readOnly: true });
    if (!before) throw new ScimError(404, `User ${id} was not found.`);
    const next = decide(before);
    const after = await this.db.tenant(
      s.accountId,
      async (c) => {
        const m = await scimMember(c, id);
        if (!m) throw new ScimError(404, `User ${id} was not found.`);
        const deactivating = next.active === false && m.deactivated_at === null;
        if (deactivating && m.role === 'owner' && (await activeOwnerCount(c)) <= 1) throw new ScimError(409, 'The account must keep at least one active owner.', 'mutability');
        await updateScimMembership(c, id, { externalId: next.externalId, active: next.active });
        if (next.name !== undefined) await renameProvisionedUser(c, m.user_id, next.name);
        // A deactivated person is signed out of this account at once.
        const ended = deactivating ? await endSessionsOf(c, m.user_id, s.accountId) : 0;
        const updated = (await scimMember(c, id)) as ScimMemberRow;
        const changed = Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined));
        const action = deactivating ? 'scim.user_deactivated' : 'scim.user_updated';
        await this.record(c, s, meta, action, m, { changed: Object.keys(changed), ...(deactivating ? { sessions_ended: ended } : {}), ...(next.active === true && m.deactivated_at ? { reactivated: true } : {}) });
        return updated;
      },
      { userId: before.user_id },
    );
    return userResource(after, base);
  }

  async remove(s: ScimCaller, id: string, meta: RequestMeta): Promise<void> {
    await this.db.tenant(s.accountId, async (c) => {
      const m = await scimMember(c, id);
      if (!m) throw new ScimError(404, `User ${id} was not found.`);
      if (m.role === 'owner' && m.deactivated_at === null && (await activeOwnerCount(c)) <= 1) throw new ScimError(409, 'The account must keep at least one active owner.', 'mutability');
      await deleteMembership(c, id);
      const ended = await endSessionsOf(c, m.user_id, s.accountId);
      await this.record(c, s, meta, 'scim.user_deleted', m, { sessions_ended: ended });
    });
  }
}
