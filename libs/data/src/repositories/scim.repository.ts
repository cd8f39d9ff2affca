import type { Role } from '../entities/membership.entity';
import type { Database, SqlExecutor } from '../database';

/**
 * SCIM provisioning. Tokens are found before the tenant is known (a SECURITY
 * DEFINER function); everything else runs in the account's transaction.
 * A SCIM User is a membership of the account (its id is the membership's),
 * joined to the global user it belongs to.
 */

export interface ScimTokenAuth {
  id: string;
  account_id: string;
  plan: string;
  last_used_at: Date | null;
}

export async function scimTokenByHash(db: Database, hash: Buffer): Promise<ScimTokenAuth | null> {
  return db.withClient(async (c) => (await c.query<ScimTokenAuth>('SELECT * FROM app_auth_scim_token($1)', [hash])).rows[0] ?? null);
}

export function touchScimToken(db: Database, accountId: string, id: string): void {
  void db.withClient((c) => c.query('SELECT app_touch_scim_token($1, $2)', [accountId, id])).catch(() => undefined);
}

export interface ScimTokenRow {
  id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

export async function insertScimToken(exec: SqlExecutor, t: { id: string; accountId: string; name: string; hash: Buffer; createdBy: string | null }): Promise<void> {
  await exec.query('INSERT INTO scim_tokens (id, account_id, name, token_hash, created_by) VALUES ($1, $2, $3, $4, $5)', [t.id, t.accountId, t.name, t.hash, t.createdBy]);
}

export async function listScimTokens(exec: SqlExecutor): Promise<ScimTokenRow[]> {
  return (await exec.query<ScimTokenRow>('SELECT id, name, created_at, last_used_at FROM scim_tokens WHERE revoked_at IS NULL ORDER BY created_at')).rows;
}

export async function revokeScimToken(exec: SqlExecutor, id: string): Promise<ScimTokenRow | null> {
  return (await exec.query<ScimTokenRow>('UPDATE scim_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id, name, created_at, last_used_at', [id])).rows[0] ?? null;
}

export interface ScimMemberRow {
  id: string;
  user_id: string;
  email: string;
  name: string | null;
  role: Role;
  workspace_ids: string[];
  external_id: string | null;
  deactivated_at: Date | null;
  created_at: Date;
}

const MEMBER_SELECT = `SELECT m.id, m.user_id, u.email, u.name, m.role, m.workspace_ids, m.scim_external_id AS external_id, m.deactivated_at, m.created_at
  FROM memberships m JOIN users u ON u.id = m.user_id`;

export async function scimMembers(exec: SqlExecutor, q: { userName?: string; externalId?: string; offset: number; limit: number }): Promise<{ rows: ScimMemberRow[]; total: number }> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (q.userName !== undefined) where.push(`u.email = lower($${params.push(q.userName)})`);
  if (q.externalId !== undefined) where.push(`m.scim_external_id = $${params.push(q.externalId)}`);
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const total = Number((await exec.query<{ n: string }>(`SELECT count(*) AS n FROM memberships m JOIN users u ON u.id = m.user_id${clause}`, params)).rows[0].n);
  const rows = (await exec.query<ScimMemberRow>(`${MEMBER_SELECT}${clause} ORDER BY m.created_at, m.id OFFSET $${params.push(q.offset)} LIMIT $${params.push(q.limit)}`, params)).rows;
  return { rows, total };
}

export async function scimMember(exec: SqlExecutor, id: string): Promise<ScimMemberRow | null> {
  return (await exec.query<ScimMemberRow>(`${MEMBER_SELECT} WHERE m.id = $1`, [id])).rows[0] ?? null;
}

/** A login the identity provider created: no password works until the person sets one (reset) or uses SSO. */
export const NO_PASSWORD = '!provisioned';

export async function insertProvisionedUser(exec: SqlExecutor, u: { id: string; email: string; name: string | null }): Promise<void> {
  await exec.query('INSERT INTO users (id, email, name, password_hash) VALUES ($1, lower($2), $3, $4)', [u.id, u.email, u.name, NO_PASSWORD]);
}

export async function insertScimMembership(exec: SqlExecutor, m: { id: string; accountId: string; userId: string; externalId: string | null }): Promise<void> {
  await exec.query(`INSERT INTO memberships (id, account_id, user_id, role, workspace_ids, scim_external_id) VALUES ($1, $2, $3, 'member', '{}', $4)`, [m.id, m.accountId, m.userId, m.externalId]);
}

export async function updateScimMembership(exec: SqlExecutor, id: string, f: { externalId?: string | null; active?: boolean }): Promise<void> {
  if (f.externalId !== undefined) await exec.query('UPDATE memberships SET scim_external_id = $2 WHERE id = $1', [id, f.externalId]);
  if (f.active !== undefined) await exec.query(`UPDATE memberships SET deactivated_at = CASE WHEN $2 THEN NULL ELSE coalesce(deactivated_at, now()) END WHERE id = $1`, [id, f.active]);
}

/** A provisioned person's own name (only a login the identity provider created; others keep theirs). */
export async function renameProvisionedUser(exec: SqlExecutor, userId: string, name: string | null): Promise<void> {
  await exec.query('UPDATE users SET name = $2 WHERE id = $1 AND password_hash = $3', [userId, name, NO_PASSWORD]);
}

export async function deleteMembership(exec: SqlExecutor, id: string): Promise<void> {
  await exec.query('DELETE FROM memberships WHERE id = $1', [id]);
}

export async function activeOwnerCount(exec: SqlExecutor): Promise<number> {
  return Number((await exec.query<{ n: string }>(`SELECT count(*) AS n FROM memberships WHERE role = 'owner' AND deactivated_at IS NULL`)).rows[0].n);
}

export interface ScimGroupRow {
  id: string;
  display_name: string;
  external_id: string | null;
  role: Role | null;
  workspace_ids: string[];
  member_ids: string[];
  created_at: Date;
}

const GROUP_COLUMNS = 'id, display_name, external_id, role, workspace_ids::text[] AS workspace_ids, member_ids::text[] AS member_ids, created_at';

export async function scimGroups(exec: SqlExecutor, q: { displayName?: string; offset: number; limit: number }): Promise<{ rows: ScimGroupRow[]; total: number }> {
  const params: unknown[] = [];
  const clause = q.displayName !== undefined ? ` WHERE display_name = $${params.push(q.displayName)}` : '';
  const total = Number((await exec.query<{ n: string }>(`SELECT count(*) AS n FROM scim_groups${clause}`, params)).rows[0].n);
  const rows = (await exec.query<ScimGroupRow>(`SELECT ${GROUP_COLUMNS} FROM scim_groups${clause} ORDER BY created_at, id OFFSET $${params.push(q.offset)} LIMIT $${params.push(q.limit)}`, params)).rows;
  return { rows, total };
}

export async function scimGroup(exec: SqlExecutor, id: string): Promise<ScimGroupRow | null> {
  return (await exec.query<ScimGroupRow>(`SELECT ${GROUP_COLUMNS} FROM scim_groups WHERE id = $1`, [id])).rows[0] ?? null;
}

/** Only ids of this account's memberships are kept (row-level security hides the others). */
export async function existingMembershipIds(exec: SqlExecutor, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  return (await exec.query<{ id: string }>('SELECT id FROM memberships WHERE id = ANY($1::uuid[])', [ids])).rows.map((r) => r.id);
}

export async function insertScimGroup(exec: SqlExecutor, g: { id: string; accountId: string; displayName: string; externalId: string | null; memberIds: string[] }): Promise<void> {
  await exec.query('INSERT INTO scim_groups (id, account_id, display_name, external_id, member_ids) VALUES ($1, $2, $3, $4, $5::uuid[])', [g.id, g.accountId, g.displayName, g.externalId, g.memberIds]);
}

export async function updateScimGroup(exec: SqlExecutor, id: string, f: { displayName?: string; externalId?: string | null; memberIds?: string[] }): Promise<void> {
  if (f.displayName !== undefined) await exec.query('UPDATE scim_groups SET display_name = $2 WHERE id = $1', [id, f.displayName]);
  if (f.externalId !== undefined) await exec.query('UPDATE scim_groups SET external_id = $2 WHERE id = $1', [id, f.externalId]);
  if (f.memberIds !== undefined) await exec.query('UPDATE scim_groups SET member_ids = $2::uuid[] WHERE id = $1', [id, f.memberIds]);
}

export async function setScimGroupMapping(exec: SqlExecutor, id: string, role: Role | null, workspaceIds: string[]): Promise<boolean> {
  return (await exec.query('UPDATE scim_groups SET role = $2, workspace_ids = $3::uuid[] WHERE id = $1 RETURNING id', [id, role, workspaceIds])).rows.length === 1;
}

export async function deleteScimGroup(exec: SqlExecutor, id: string): Promise<void> {
  await exec.query('DELETE FROM scim_groups WHERE id = $1', [id]);
}

/** Groups that grant a role (the others only mirror the identity provider). */
export async function mappedScimGroups(exec: SqlExecutor): Promise<ScimGroupRow[]> {
  return (await exec.query<ScimGroupRow>(`SELECT ${GROUP_COLUMNS} FROM scim_groups WHERE role IS NOT NULL`)).rows;
}

export async function setMembershipAccess(exec: SqlExecutor, id: string, role: Role, workspaceIds: string[]): Promise<void> {
  await exec.query('UPDATE memberships SET role = $2, workspace_ids = $3::text[] WHERE id = $1', [id, role, workspaceIds]);
}
