import { Injectable } from '@nestjs/common';
import { newId } from '@audit-trail/audit-core';
import { activeOwnerCount, Database, deleteScimGroup, existingMembershipIds, insertScimGroup, mappedScimGroups, type Role, type ScimGroupRow, scimGroup, scimGroups, scimMember, setMembershipAccess, setScimGroupMapping, type SqlExecutor, updateScimGroup, workspaceIdsOf } from '@audit-trail/data';
import { AppError, ErrorCode, notFound } from '../common/errors';
import type { Principal, RequestMeta } from '../common/principal';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { parseFilter, SCIM_GROUP, SCIM_LIST, ScimError, type ScimPatchOp } from './scim';
import type { ScimCaller } from './scim.service';

const RANK: Record<Role, number> = { owner: 0, admin: 1, member: 2 };

function groupResource(g: ScimGroupRow, base: string) {
  return {
    schemas: [SCIM_GROUP],
    id: g.id,
    displayName: g.display_name,
    ...(g.external_id ? { externalId: g.external_id } : {}),
    members: g.member_ids.map((value) => ({ value, $ref: `${base}/scim/v2/Users/${value}` })),
    meta: { resourceType: 'Group', created: g.created_at.toISOString(), location: `${base}/scim/v2/Groups/${g.id}` },
  };
}

const memberValues = (v: unknown): string[] =>
  (Array.isArray(v) ? (v as unknown[]) : [v])
    .map((m): unknown => (m && typeof m === 'object' ? (m as { value?: unknown }).value : m))
    .filter((x): x is string => typeof x === 'string')
    .map((x) => x.toLowerCase());

/**
 * SCIM Groups, and what they grant. A group mirrors the identity provider;
 * an admin maps it to a role (and, for the member role, the workspaces its
 * people administer). A person in mapped groups gets the highest role among
 * them and the union of their workspaces; leaving every mapped group leaves
 * a plain member with no workspaces. The last active owner is never demoted.
 */
@Injectable()
export class ScimGroupsService {
  constructor(
    private readonly db: Database,
    private readonly audit: SelfAuditService,
  ) {}

  private actor(s: ScimCaller) {
    return { kind: 'system' as const, id: `scim:${s.tokenId}`, name: 'SCIM provisioning' };
  }

  /** Recompute the role and workspaces of these memberships from the mapped groups. */
  private async reconcile(c: SqlExecutor, accountId: string, plan: ScimCaller['plan'], membershipIds: string[], actor: Parameters<SelfAuditService['record']>[1]['actor'], meta: RequestMeta): Promise<void> {
    const groups = await mappedScimGroups(c);
    for (const id of new Set(membershipIds)) {
      const m = await scimMember(c, id);
      if (!m) continue;
      const mine = groups.filter((g) => g.member_ids.includes(id));
      const role: Role = mine.length ? (mine.map((g) => g.role as Role).sort((a, b) => RANK[a] - RANK[b])[0]) : 'member';
      const workspaceIds = role === 'member' ? [...new Set(mine.filter((g) => g.role === 'member').flatMap((g) => g.workspace_ids))].sort() : [];
      if (role === m.role && JSON.stringify(workspaceIds) === JSON.stringify([...m.workspace_ids].sort())) continue;
      if (m.role === 'owner' && role !== 'owner' && m.deactivated_at === null && (await activeOwnerCount(c)) <= 1) continue;
      await setMembershipAccess(c, id, role, workspaceIds);
      await this.audit.record(c, {
        accountId, plan, action: 'member.role_changed', actor, meta,
        target: { type: 'user', id: m.user_id, name: m.email },
        changes: { before: { role: m.role, workspace_ids: m.workspace_ids }, after: { role, workspace_ids: workspaceIds } },
        metadata: { via: 'scim_groups', groups: mine.map((g) => g.display_name) },
      });
    }
  }

  // ---- /scim/v2/Groups ----------------------------------------------------

  async list(s: ScimCaller, q: { filter?: string; startIndex?: number; count?: number }, base: string) {
    const { displayName } = parseFilter(q.filter, ['displayName'] as const);
    const start = Math.max(1, q.startIndex ?? 1);
    const count = Math.min(200, Math.max(0, q.count ?? 100));
    const { rows, total } = await this.db.tenant(s.accountId, (c) => scimGroups(c, { displayName, offset: start - 1, limit: count }), { readOnly: true });
    return { schemas: [SCIM_LIST], totalResults: total, startIndex: start, itemsPerPage: rows.length, Resources: rows.map((g) => groupResource(g, base)) };
  }

  async get(s: ScimCaller, id: string, base: string) {
    const g = await this.db.tenant(s.accountId, (c) => scimGroup(c, id), { readOnly: true });
    if (!g) throw new ScimError(404, `Group ${id} was not found.`);
    return groupResource(g, base);
  }

  async create(s: ScimCaller, input: { displayName: string; externalId?: string | null; members?: unknown }, meta: RequestMeta, base: string) {
    const id = newId();
    const g = await this.db.tenant(s.accountId, async (c) => {
      if ((await scimGroups(c, { displayName: input.displayName, offset: 0, limit: 1 })).total > 0) throw new ScimError(409, `A group named ${input.displayName} exists.`, 'uniqueness');
      const members = await existingMembershipIds(c, memberValues(input.members ?? []));
      await insertScimGroup(c, { id, accountId: s.accountId, displayName: input.displayName, externalId: input.externalId ?? null, memberIds: members });
      await this.audit.record(c, { accountId: s.accountId, plan: s.plan, action: 'scim.group_created', actor: this.actor(s), meta, target: { type: 'scim_group', id, name: input.displayName }, metadata: { members: members.length, scim_token_id: s.tokenId } });
      return (await scimGroup(c, id)) as ScimGroupRow;
    });
    return groupResource(g, base);
  }

  async replace(s: ScimCaller, id: string, input: { displayName: string; externalId?: string | null; members?: unknown }, meta: RequestMeta, base: string) {
    return this.change(s, id, meta, base, () => ({ displayName: input.displayName, externalId: input.externalId ?? null, members: memberValues(input.members ?? []) }));
  }

  async patch(s: ScimCaller, id: string, ops: ScimPatchOp[], meta: RequestMeta, base: string) {
    return this.change(s, id, meta, base, (g) => {
      let members = [...g.member_ids];
      let displayName: string | undefined;
      let externalId: string | null | undefined;
      for (const op of ops) {
        const path = op.path ?? '';
        const filtered = /^members\[value eq "([^"]+)"\]$/i.exec(path);
        if (filtered && op.op === 'remove') members = members.filter((x) => x !== filtered[1].toLowerCase());
        else if (/^members$/i.test(path)) {
          const values = memberValues(op.value ?? []);
          if (op.op === 'add') members = [...new Set([...members, ...values])];
          else if (op.op === 'replace') members = values;
          else members = op.value === undefined ? [] : members.filter((x) => !values.includes(x));
        } else if (/^displayName$/i.test(path) && typeof op.value === 'string') displayName = op.value;
        else if (/^externalId$/i.test(path)) externalId = typeof op.value === 'string' ? op.value : null;
        else if (!path && op.value && typeof op.value === 'object') {
          const v = op.value as { displayName?: unknown; externalId?: unknown; members?: unknown };
          if (typeof v.displayName === 'string') displayName = v.displayName;
          if (typeof v.externalId === 'string') externalId = v.externalId;
          if (v.members !== undefined) members = op.op === 'add' ? [...new Set([...members, ...memberValues(v.members)])] : memberValues(v.members);
        } else throw new ScimError(400, `Cannot ${op.op} ${path || 'that'} on a group.`, 'invalidSyntax');
      }
      return { displayName, externalId, members };
    });
  }

  private async change(s: ScimCaller, id: string, meta: RequestMeta, base: string, decide: (g: ScimGroupRow) => { displayName?: string; externalId?: string | null; members: string[] }) {
    const g = await this.db.tenant(s.accountId, async (c) => {
      const before = await scimGroup(c, id);
      if (!before) throw new ScimError(404, `Group ${id} was not found.`);
      const next = decide(before);
      const members = await existingMembershipIds(c, next.members);
      await updateScimGroup(c, id, { displayName: next.displayName, externalId: next.externalId, memberIds: members });
      const added = members.filter((x) => !before.member_ids.includes(x));
      const removed = before.member_ids.filter((x) => !members.includes(x));
      await this.audit.record(c, { accountId: s.accountId, plan: s.plan, action: 'scim.group_updated', actor: this.actor(s), meta, target: { type: 'scim_group', id, name: next.displayName ?? before.display_name }, metadata: { added: added.length, removed: removed.length, scim_token_id: s.tokenId } });
      if (before.role) await this.reconcile(c, s.accountId, s.plan, [...added, ...removed], this.actor(s), meta);
      return (await scimGroup(c, id)) as ScimGroupRow;
    });
    return groupResource(g, base);
  }

  async remove(s: ScimCaller, id: string, meta: RequestMeta): Promise<void> {
    await this.db.tenant(s.accountId, async (c) => {
      const g = await scimGroup(c, id);
      if (!g) throw new ScimError(404, `Group ${id} was not found.`);
      await deleteScimGroup(c, id);
      await this.audit.record(c, { accountId: s.accountId, plan: s.plan, action: 'scim.group_deleted', actor: this.actor(s), meta, target: { type: 'scim_group', id, name: g.display_name }, metadata: { scim_token_id: s.tokenId } });
      if (g.role) await this.reconcile(c, s.accountId, s.plan, g.member_ids, this.actor(s), meta);
    });
  }

  // ---- /v1/scim/groups (admins map groups to roles) ----------------------------

  async listForAdmins(p: Principal) {
    const { rows } = await this.db.tenant(p.accountId, (c) => scimGroups(c, { offset: 0, limit: 1000 }), { readOnly: true });
    return { data: rows.map((g) => ({ id: g.id, display_name: g.display_name, role: g.role, workspace_ids: g.workspace_ids, members: g.member_ids.length })), next_cursor: null };
  }

  async map(p: Principal, id: string, input: { role: Role | null; workspace_ids: string[] }, meta: RequestMeta) {
    return this.db.tenant(p.accountId, async (c) => {
      const g = await scimGroup(c, id);
      if (!g) throw notFound('SCIM group');
      if (input.role === 'owner' && p.kind === 'session' && p.role !== 'owner') throw new AppError(ErrorCode.Forbidden, 'Only an owner can map a group to the owner role.');
      const known = new Set(await workspaceIdsOf(c));
      const unknown = input.workspace_ids.filter((w) => !known.has(w));
      if (unknown.length) throw new AppError(ErrorCode.Validation, 'Some workspaces do not exist in this account.', unknown.map((w) => ({ path: 'workspace_ids', message: `${w} is not a workspace of this account` })));
      const workspaceIds = input.role === 'member' ? input.workspace_ids : [];
      await setScimGroupMapping(c, id, input.role, workspaceIds);
      await this.audit.record(c, {
        accountId: p.accountId, plan: p.plan, action: 'scim.group_mapped', actor: { kind: 'principal', principal: p }, meta,
        target: { type: 'scim_group', id, name: g.display_name },
        changes: { before: { role: g.role, workspace_ids: g.workspace_ids }, after: { role: input.role, workspace_ids: workspaceIds } },
      });
      await this.reconcile(c, p.accountId, p.plan, g.member_ids, { kind: 'principal', principal: p }, meta);
      return { id, display_name: g.display_name, role: input.role, workspace_ids: workspaceIds, members: g.member_ids.length };
    }, { userId: p.userId ?? undefined });
  }
}
