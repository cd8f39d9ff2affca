import { Migration } from '@mikro-orm/migrations';

/**
 * SCIM 2.0 provisioning: bearer tokens (hashed; found before the tenant is
 * known through a SECURITY DEFINER function), the SCIM fields of a
 * membership (its externalId, and a deactivation that keeps the member on
 * record but lets them in nowhere in that account), and groups mapped to a
 * role and workspace-admin sets.
 */
export class Migration20261201210000_scim extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE scim_tokens (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name text NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);`);
    this.addSql(`CREATE INDEX scim_tokens_account_idx ON scim_tokens (account_id);`);
    this.addSql(`
CREATE TABLE scim_groups (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  display_name text NOT NULL,
  external_id text,
  role text CHECK (role IN ('owner', 'admin', 'member')),
  workspace_ids uuid[] NOT NULL DEFAULT '{}',
  member_ids uuid[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, display_name)
);`);
    this.addSql(`ALTER TABLE memberships ADD COLUMN scim_external_id text, ADD COLUMN deactivated_at timestamptz;`);
    for (const t of ['scim_tokens', 'scim_groups']) {
      this.addSql(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;`);
      this.addSql(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY;`);
      this.addSql(`CREATE POLICY tenant_isolation ON ${t} USING (account_id = app_current_account()) WITH CHECK (account_id = app_current_account());`);
      this.addSql(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO audit_app;`);
    }
    this.addSql(`
CREATE FUNCTION app_auth_scim_token(p_hash bytea)
RETURNS TABLE (id uuid, account_id uuid, plan text, last_used_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT t.id, t.account_id, a.plan, t.last_used_at FROM scim_tokens t JOIN accounts a ON a.id = t.account_id
  WHERE t.token_hash = p_hash AND t.revoked_at IS NULL
$$;`);
    this.addSql(`
CREATE FUNCTION app_touch_scim_token(p_id uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  UPDATE scim_tokens SET last_used_at = now() WHERE id = p_id
$$;`);
    // A deactivated membership signs in nowhere: sessions, sign-in and the account list skip it.
    this.addSql(`DROP FUNCTION app_auth_session(bytea);`);
    this.addSql(`
CREATE FUNCTION app_auth_session(p_hash bytea)
RETURNS TABLE (session_id uuid, user_id uuid, account_id uuid, csrf_token text, expires_at timestamptz,
               role text, workspace_ids text[], plan text, email text, name text, last_seen_at timestamptz,
               require_mfa boolean, has_mfa boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT s.id, s.user_id, s.account_id, s.csrf_token, s.expires_at, m.role, m.workspace_ids, a.plan, u.email, u.name, s.last_seen_at,
         a.require_mfa, u.totp_enabled_at IS NOT NULL
  FROM sessions s
  JOIN memberships m ON m.account_id = s.account_id AND m.user_id = s.user_id AND m.deactivated_at IS NULL
  JOIN accounts a ON a.id = s.account_id
  JOIN users u ON u.id = s.user_id
  WHERE s.token_hash = p_hash AND s.expires_at > now()
$$;`);
    this.addSql(`DROP FUNCTION app_login_lookup(text);`);
    this.addSql(`
CREATE FUNCTION app_login_lookup(p_email text)
RETURNS TABLE (user_id uuid, password_hash text, name text, account_id uuid, plan text, totp_secret text, totp_last_step bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT u.id, u.password_hash, u.name, m.account_id, a.plan, CASE WHEN u.totp_enabled_at IS NOT NULL THEN u.totp_secret END, u.totp_last_step
  FROM users u
  LEFT JOIN LATERAL (
    SELECT m.account_id FROM memberships m WHERE m.user_id = u.id AND m.deactivated_at IS NULL ORDER BY m.created_at LIMIT 1
  ) m ON true
  LEFT JOIN accounts a ON a.id = m.account_id
  WHERE u.email = lower(p_email)
$$;`);
    this.addSql(`DROP FUNCTION app_user_memberships(uuid);`);
    this.addSql(`
CREATE FUNCTION app_user_memberships(p_user uuid)
RETURNS TABLE (account_id uuid, account_name text, role text, plan text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT a.id, a.name, m.role, a.plan FROM memberships m JOIN accounts a ON a.id = m.account_id
  WHERE m.user_id = p_user AND m.deactivated_at IS NULL ORDER BY m.created_at
$$;`);
    this.addSql(`REVOKE ALL ON FUNCTION app_auth_scim_token(bytea), app_touch_scim_token(uuid), app_auth_session(bytea), app_login_lookup(text), app_user_memberships(uuid) FROM PUBLIC;`);
    this.addSql(`GRANT EXECUTE ON FUNCTION app_auth_scim_token(bytea), app_touch_scim_token(uuid), app_auth_session(bytea), app_login_lookup(text), app_user_memberships(uuid) TO audit_app;`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION IF EXISTS app_touch_scim_token(uuid), app_auth_scim_token(bytea);`);
    this.addSql(`ALTER TABLE memberships DROP COLUMN deactivated_at, DROP COLUMN scim_external_id;`);
    this.addSql(`DROP TABLE IF EXISTS scim_groups, scim_tokens;`);
  }
}
