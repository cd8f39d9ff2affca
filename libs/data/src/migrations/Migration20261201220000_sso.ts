import { Migration } from '@mikro-orm/migrations';

/**
 * Single sign-on per account: one connection (OpenID Connect or SAML 2.0;
 * the OIDC client secret sealed by the application), the email domains the
 * account proved it owns with a DNS TXT record, and "SSO required".
 *
 * A verified domain routes sign-in to one account only (a partial unique
 * index), found before anyone is signed in through a SECURITY DEFINER
 * function. Sessions remember how they began, so an SSO-required account
 * stops honouring members' password sessions and an SSO session is not
 * asked for the console's own second factor.
 */
export class Migration20261201220000_sso extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE sso_connections (
  account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  protocol text NOT NULL CHECK (protocol IN ('oidc', 'saml')),
  enabled boolean NOT NULL DEFAULT true,
  default_role text NOT NULL DEFAULT 'member' CHECK (default_role IN ('admin', 'member')),
  oidc_issuer text,
  oidc_client_id text,
  oidc_client_secret text,
  saml_entity_id text,
  saml_sso_url text,
  saml_certificate text,
  updated_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (protocol <> 'oidc' OR (oidc_issuer IS NOT NULL AND oidc_client_id IS NOT NULL AND oidc_client_secret IS NOT NULL)),
  CHECK (protocol <> 'saml' OR (saml_entity_id IS NOT NULL AND saml_sso_url IS NOT NULL AND saml_certificate IS NOT NULL))
);`);
    this.addSql(`
CREATE TABLE sso_domains (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  domain text NOT NULL CHECK (domain = lower(domain)),
  verification_token text NOT NULL,
  verified_at timestamptz,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, domain)
);`);
    // One account per verified domain: the sign-in page sends an email's domain to exactly one place.
    this.addSql(`CREATE UNIQUE INDEX sso_domains_verified_idx ON sso_domains (domain) WHERE verified_at IS NOT NULL;`);
    for (const t of ['sso_connections', 'sso_domains']) {
      this.addSql(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY;`);
      this.addSql(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY;`);
      this.addSql(`CREATE POLICY tenant_isolation ON ${t} USING (account_id = app_current_account()) WITH CHECK (account_id = app_current_account());`);
      this.addSql(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO audit_app;`);
    }
    this.addSql(`ALTER TABLE accounts ADD COLUMN require_sso boolean NOT NULL DEFAULT false;`);
    this.addSql(`ALTER TABLE sessions ADD COLUMN auth_method text NOT NULL DEFAULT 'password';`);
    this.addSql(`
CREATE FUNCTION app_sso_route(p_domain text)
RETURNS TABLE (account_id uuid, protocol text, plan text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT c.account_id, c.protocol, a.plan FROM sso_domains d JOIN sso_connections c ON c.account_id = d.account_id JOIN accounts a ON a.id = d.account_id
  WHERE d.domain = lower(p_domain) AND d.verified_at IS NOT NULL AND c.enabled
$$;`);
    this.addSql(`DROP FUNCTION app_auth_session(bytea);`);
    this.addSql(`
CREATE FUNCTION app_auth_session(p_hash bytea)
RETURNS TABLE (session_id uuid, user_id uuid, account_id uuid, csrf_token text, expires_at timestamptz,
               role text, workspace_ids text[], plan text, email text, name text, last_seen_at timestamptz,
               require_mfa boolean, has_mfa boolean, auth_method text, require_sso boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT s.id, s.user_id, s.account_id, s.csrf_token, s.expires_at, m.role, m.workspace_ids, a.plan, u.email, u.name, s.last_seen_at,
         a.require_mfa, u.totp_enabled_at IS NOT NULL, s.auth_method, a.require_sso
  FROM sessions s
  JOIN memberships m ON m.account_id = s.account_id AND m.user_id = s.user_id AND m.deactivated_at IS NULL
  JOIN accounts a ON a.id = s.account_id
  JOIN users u ON u.id = s.user_id
  WHERE s.token_hash = p_hash AND s.expires_at > now()
$$;`);
    this.addSql(`REVOKE ALL ON FUNCTION app_sso_route(text), app_auth_session(bytea) FROM PUBLIC;`);
    this.addSql(`GRANT EXECUTE ON FUNCTION app_sso_route(text), app_auth_session(bytea) TO audit_app;`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION IF EXISTS app_sso_route(text);`);
    this.addSql(`ALTER TABLE sessions DROP COLUMN auth_method;`);
    this.addSql(`ALTER TABLE accounts DROP COLUMN require_sso;`);
    this.addSql(`DROP TABLE IF EXISTS sso_domains, sso_connections;`);
  }
}
