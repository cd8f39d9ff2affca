import type { Database, SqlExecutor } from '../database';

/**
 * Single sign-on: an account's connection, its email domains, and "SSO
 * required". Routing an email's domain happens before anyone is signed in
 * (a SECURITY DEFINER function); everything else runs in the account's
 * transaction under row-level security.
 */

export type SsoProtocol = 'oidc' | 'saml';

export interface SsoConnectionRow {
  account_id: string;
  protocol: SsoProtocol;
  enabled: boolean;
  default_role: 'admin' | 'member';
  oidc_issuer: string | null;
  oidc_client_id: string | null;
  /** Sealed by the application; never leaves the server. */
  oidc_client_secret: string | null;
  saml_entity_id: string | null;
  saml_sso_url: string | null;
  saml_certificate: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function ssoConnection(exec: SqlExecutor): Promise<SsoConnectionRow | null> {
  return (await exec.query<SsoConnectionRow>('SELECT * FROM sso_connections')).rows[0] ?? null;
}

export type SsoConnectionInput = Omit<SsoConnectionRow, 'created_at' | 'updated_at'>;

/** Insert or replace the account's one connection; the row before, if there was one. */
export async function upsertSsoConnection(exec: SqlExecutor, c: SsoConnectionInput, by: string | null): Promise<SsoConnectionRow | null> {
  const before = (await exec.query<SsoConnectionRow>('SELECT * FROM sso_connections WHERE account_id = $1 FOR UPDATE', [c.account_id])).rows[0] ?? null;
  await exec.query(
    `INSERT INTO sso_connections (account_id, protocol, enabled, default_role, oidc_issuer, oidc_client_id, oidc_client_secret, saml_entity_id, saml_sso_url, saml_certificate, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (account_id) DO UPDATE SET protocol = EXCLUDED.protocol, enabled = EXCLUDED.enabled, default_role = EXCLUDED.default_role,
       oidc_issuer = EXCLUDED.oidc_issuer, oidc_client_id = EXCLUDED.oidc_client_id, oidc_client_secret = EXCLUDED.oidc_client_secret,
       saml_entity_id = EXCLUDED.saml_entity_id, saml_sso_url = EXCLUDED.saml_sso_url, saml_certificate = EXCLUDED.saml_certificate,
       updated_by = EXCLUDED.updated_by, updated_at = now()`,
    [c.account_id, c.protocol, c.enabled, c.default_role, c.oidc_issuer, c.oidc_client_id, c.oidc_client_secret, c.saml_entity_id, c.saml_sso_url, c.saml_certificate, by],
  );
  return before;
}

export async function deleteSsoConnection(exec: SqlExecutor): Promise<SsoConnectionRow | null> {
  return (await exec.query<SsoConnectionRow>('DELETE FROM sso_connections RETURNING *')).rows[0] ?? null;
}

export interface SsoDomainRow {
  id: string;
  domain: string;
  verification_token: string;
  verified_at: Date | null;
  created_at: Date;
}

const DOMAIN_COLUMNS = 'id, domain, verification_token, verified_at, created_at';

export async function ssoDomains(exec: SqlExecutor): Promise<SsoDomainRow[]> {
  return (await exec.query<SsoDomainRow>(`SELECT ${DOMAIN_COLUMNS} FROM sso_domains ORDER BY created_at, id`)).rows;
}

export async function ssoDomain(exec: SqlExecutor, id: string): Promise<SsoDomainRow | null> {
  return (await exec.query<SsoDomainRow>(`SELECT ${DOMAIN_COLUMNS} FROM sso_domains WHERE id = $1`, [id])).rows[0] ?? null;
}

/** Null when the account already listed the domain. */
export async function insertSsoDomain(exec: SqlExecutor, d: { id: string; accountId: string; domain: string; token: string; createdBy: string | null }): Promise<SsoDomainRow | null> {
  return (
    (
      await exec.query<SsoDomainRow>(
        `INSERT INTO sso_domains (id, account_id, domain, verification_token, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (account_id, domain) DO NOTHING RETURNING ${DOMAIN_COLUMNS}`,
        [d.id, d.accountId, d.domain, d.token, d.createdBy],
      )
    ).rows[0] ?? null
  );
}

/** Mark verified; false when another account verified the same domain first (the unique index). */
export async function markSsoDomainVerified(exec: SqlExecutor, id: string): Promise<boolean> {
  await exec.query('SAVEPOINT sso_domain_verify');
  try {
    await exec.query('UPDATE sso_domains SET verified_at = now() WHERE id = $1 AND verified_at IS NULL', [id]);
    await exec.query('RELEASE SAVEPOINT sso_domain_verify');
    return true;
  } catch (err) {
    await exec.query('ROLLBACK TO SAVEPOINT sso_domain_verify');
    if ((err as { code?: string }).code === '23505') return false;
    throw err;
  }
}

export async function deleteSsoDomain(exec: SqlExecutor, id: string): Promise<SsoDomainRow | null> {
  return (await exec.query<SsoDomainRow>(`DELETE FROM sso_domains WHERE id = $1 RETURNING ${DOMAIN_COLUMNS}`, [id])).rows[0] ?? null;
}

/** Which account (and protocol) a verified email domain signs in with; null when none. */
export async function ssoRoute(db: Database, domain: string): Promise<{ account_id: string; protocol: SsoProtocol; plan: string } | null> {
  return db.withClient(async (c) => (await c.query<{ account_id: string; protocol: SsoProtocol; plan: string }>('SELECT * FROM app_sso_route($1)', [domain])).rows[0] ?? null);
}

export async function accountRequiresSso(exec: SqlExecutor, accountId: string): Promise<boolean> {
  return (await exec.query<{ require_sso: boolean }>('SELECT require_sso FROM accounts WHERE id = $1', [accountId])).rows[0]?.require_sso ?? false;
}

/** The value before. */
export async function setAccountRequiresSso(exec: SqlExecutor, accountId: string, value: boolean): Promise<boolean> {
  const { rows } = await exec.query<{ before: boolean }>(
    'UPDATE accounts a SET require_sso = $2 FROM (SELECT require_sso AS before FROM accounts WHERE id = $1 FOR UPDATE) b WHERE a.id = $1 RETURNING b.before',
    [accountId, value],
  );
  return rows[0]?.before ?? false;
}

/** Owners without two-factor: they would have no way back in once SSO is required. */
export async function ownersWithoutTotp(exec: SqlExecutor): Promise<{ user_id: string; email: string }[]> {
  return (
    await exec.query<{ user_id: string; email: string }>(
      `SELECT m.user_id, u.email FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.role = 'owner' AND m.deactivated_at IS NULL AND u.totp_enabled_at IS NULL ORDER BY u.email`,
    )
  ).rows;
}

export interface SsoMemberRow {
  membership_id: string;
  role: string;
  deactivated_at: Date | null;
}

/** The person's membership of this account, deactivated or not. */
export async function membershipOfUser(exec: SqlExecutor, userId: string): Promise<SsoMemberRow | null> {
  return (await exec.query<SsoMemberRow>('SELECT id AS membership_id, role, deactivated_at FROM memberships WHERE user_id = $1', [userId])).rows[0] ?? null;
}

export async function insertSsoMembership(exec: SqlExecutor, m: { id: string; accountId: string; userId: string; role: 'admin' | 'member' }): Promise<void> {
  await exec.query(`INSERT INTO memberships (id, account_id, user_id, role, workspace_ids) VALUES ($1, $2, $3, $4, '{}')`, [m.id, m.accountId, m.userId, m.role]);
}

export async function sessionAuthMethod(exec: SqlExecutor, sessionId: string): Promise<'password' | 'sso' | null> {
  return (await exec.query<{ auth_method: 'password' | 'sso' }>('SELECT auth_method FROM sessions WHERE id = $1', [sessionId])).rows[0]?.auth_method ?? null;
}
