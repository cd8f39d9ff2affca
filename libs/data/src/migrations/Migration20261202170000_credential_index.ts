import { Migration } from '@mikro-orm/migrations';

/** Tenant tables whose secret is found by its hash before the tenant is known: kind, table, hash column, old unique key, new unique key. */
const CREDENTIALS: [kind: string, table: string, column: string, oldKey: string, newKey: string][] = [
  ['api_key', 'api_keys', 'key_hash', 'api_keys_key_hash_unique', 'api_keys_account_id_key_hash_unique'],
  ['session', 'sessions', 'token_hash', 'sessions_token_hash_unique', 'sessions_account_id_token_hash_unique'],
  ['invitation', 'invitations', 'token_hash', 'invitations_token_hash_unique', 'invitations_account_id_token_hash_unique'],
  ['scim_token', 'scim_tokens', 'token_hash', 'scim_tokens_token_hash_key', 'scim_tokens_account_id_token_hash_key'],
];

/**
 * A look-up made before the tenant is known: `find` puts the account into
 * v_account (from credential_index or sso_domain_routes), then `query` reads
 * the tenant's rows with it.
 */
const lookup = (signature: string, returns: string, find: string, query: string) => `
CREATE OR REPLACE FUNCTION ${signature}
RETURNS TABLE (${returns})
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
#variable_conflict use_column
DECLARE
  v_account uuid;
BEGIN
  ${find}
  IF v_account IS NULL THEN RETURN; END IF;
  RETURN QUERY
  ${query};
END $$;`;

/**
 * The last keys that lacked account_id (docs/scaling.md, "Lookups before the
 * tenant is known"). A credential's hash and a verified SSO domain were unique
 * across all tenants, which Citus cannot enforce on a distributed table. They
 * move to two small tables that map a hash or a domain to its account:
 * `credential_index (kind, hash) → account_id` and
 * `sso_domain_routes (domain) → account_id`. Their primary keys now carry the
 * uniqueness across tenants; the tenant tables keep (account_id, hash).
 *
 * Triggers on the tenant tables keep both in step, in the same transaction as
 * the row, so no code path can forget them (rotation, sign-out, a removed
 * domain); an account's entries go with it by foreign key. The trigger functions run as the owner: audit_app can
 * neither read nor write either table, and reaches them only through the
 * sign-in functions, which now read the index first and then the tenant's
 * row by (account_id, hash).
 *
 * The touch functions also take the account, so they use the
 * (account_id, id) primary key instead of scanning the table.
 */
export class Migration20261202170000_credential_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE credential_index (
  kind text NOT NULL CHECK (kind IN ('api_key', 'session', 'invitation', 'scim_token')),
  hash bytea NOT NULL,
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  PRIMARY KEY (kind, hash)
);`);
    this.addSql(`CREATE INDEX credential_index_account_id_idx ON credential_index (account_id);`);
    this.addSql(`
CREATE TABLE sso_domain_routes (
  domain text PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE
);`);
    this.addSql(`CREATE INDEX sso_domain_routes_account_id_idx ON sso_domain_routes (account_id);`);
    this.addSql(`REVOKE ALL ON credential_index, sso_domain_routes FROM PUBLIC;`);

    // TG_ARGV: the kind, then the hash column.
    this.addSql(`
CREATE FUNCTION credential_index_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  v_old bytea;
  v_new bytea;
BEGIN
  IF TG_OP <> 'INSERT' THEN EXECUTE format('SELECT ($1).%I', TG_ARGV[1]) INTO v_old USING OLD; END IF;
  IF TG_OP <> 'DELETE' THEN EXECUTE format('SELECT ($1).%I', TG_ARGV[1]) INTO v_new USING NEW; END IF;
  IF TG_OP = 'UPDATE' AND v_old = v_new AND OLD.account_id = NEW.account_id THEN RETURN NULL; END IF;
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM credential_index WHERE kind = TG_ARGV[0] AND hash = v_old AND account_id = OLD.account_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO credential_index (kind, hash, account_id) VALUES (TG_ARGV[0], v_new, NEW.account_id);
  END IF;
  RETURN NULL;
END $$;`);
    this.addSql(`
CREATE FUNCTION sso_domain_routes_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.verified_at IS NOT NULL AND NEW.verified_at IS NOT NULL
     AND OLD.domain = NEW.domain AND OLD.account_id = NEW.account_id THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.verified_at IS NOT NULL THEN
    DELETE FROM sso_domain_routes WHERE domain = OLD.domain AND account_id = OLD.account_id;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.verified_at IS NOT NULL THEN
    INSERT INTO sso_domain_routes (domain, account_id) VALUES (NEW.domain, NEW.account_id);
  END IF;
  RETURN NULL;
END $$;`);
    this.addSql(`REVOKE ALL ON FUNCTION credential_index_sync(), sso_domain_routes_sync() FROM PUBLIC;`);

    for (const [kind, table, column, oldKey, newKey] of CREDENTIALS) {
      this.addSql(`INSERT INTO credential_index (kind, hash, account_id) SELECT '${kind}', ${column}, account_id FROM ${table};`);
      this.addSql(`ALTER TABLE ${table} DROP CONSTRAINT ${oldKey}, ADD CONSTRAINT ${newKey} UNIQUE (account_id, ${column});`);
      this.addSql(
        `CREATE TRIGGER ${table}_credential_index AFTER INSERT OR DELETE OR UPDATE OF ${column}, account_id ON ${table} FOR EACH ROW EXECUTE FUNCTION credential_index_sync('${kind}', '${column}');`,
      );
    }
    this.addSql(`INSERT INTO sso_domain_routes (domain, account_id) SELECT domain, account_id FROM sso_domains WHERE verified_at IS NOT NULL;`);
    this.addSql(`DROP INDEX sso_domains_verified_idx;`);
    this.addSql(`CREATE TRIGGER sso_domains_routes AFTER INSERT OR DELETE OR UPDATE OF domain, verified_at, account_id ON sso_domains FOR EACH ROW EXECUTE FUNCTION sso_domain_routes_sync();`);

    // The sign-in look-ups: the index names the account, then the tenant's row is read by (account_id, hash).
    // PL/pgSQL keeps each statement's plan for the connection; a SQL function that cannot be inlined
    // (SECURITY DEFINER) is planned again on every call, which cost more than the look-up itself.
    const byCredential = (kind: string) => `SELECT ci.account_id INTO v_account FROM credential_index ci WHERE ci.kind = '${kind}' AND ci.hash = p_hash;`;
    this.addSql(
      lookup(
        'app_auth_api_key(p_hash bytea)',
        'id uuid, account_id uuid, scopes text[], workspace_id uuid, plan text, last_used_at timestamptz',
        byCredential('api_key'),
        `SELECT k.id, k.account_id, k.scopes, k.workspace_id, a.plan, k.last_used_at
  FROM api_keys k JOIN accounts a ON a.id = k.account_id
  WHERE k.account_id = v_account AND k.key_hash = p_hash AND k.revoked_at IS NULL`,
      ),
    );
    this.addSql(
      lookup(
        'app_invitation_lookup(p_hash bytea)',
        'id uuid, account_id uuid, email text, expires_at timestamptz, accepted_at timestamptz',
        byCredential('invitation'),
        `SELECT i.id, i.account_id, i.email, i.expires_at, i.accepted_at FROM invitations i
  WHERE i.account_id = v_account AND i.token_hash = p_hash`,
      ),
    );
    this.addSql(
      lookup(
        'app_auth_scim_token(p_hash bytea)',
        'id uuid, account_id uuid, plan text, last_used_at timestamptz',
        byCredential('scim_token'),
        `SELECT t.id, t.account_id, a.plan, t.last_used_at FROM scim_tokens t JOIN accounts a ON a.id = t.account_id
  WHERE t.account_id = v_account AND t.token_hash = p_hash AND t.revoked_at IS NULL`,
      ),
    );
    this.addSql(
      lookup(
        'app_auth_session(p_hash bytea)',
        `session_id uuid, user_id uuid, account_id uuid, csrf_token text, expires_at timestamptz,
               role text, workspace_ids text[], plan text, email text, name text, last_seen_at timestamptz,
               require_mfa boolean, has_mfa boolean, auth_method text, require_sso boolean`,
        byCredential('session'),
        `SELECT s.id, s.user_id, s.account_id, s.csrf_token, s.expires_at, m.role, m.workspace_ids, a.plan, u.email, u.name, s.last_seen_at,
         a.require_mfa, u.totp_enabled_at IS NOT NULL, s.auth_method, a.require_sso
  FROM sessions s
  JOIN memberships m ON m.account_id = s.account_id AND m.user_id = s.user_id AND m.deactivated_at IS NULL
  JOIN accounts a ON a.id = s.account_id
  JOIN users u ON u.id = s.user_id
  WHERE s.account_id = v_account AND s.token_hash = p_hash AND s.expires_at > now()`,
      ),
    );
    this.addSql(
      lookup(
        'app_sso_route(p_domain text)',
        'account_id uuid, protocol text, plan text',
        'SELECT r.account_id INTO v_account FROM sso_domain_routes r WHERE r.domain = lower(p_domain);',
        `SELECT c.account_id, c.protocol, a.plan FROM sso_connections c JOIN accounts a ON a.id = c.account_id
  WHERE c.account_id = v_account AND c.enabled`,
      ),
    );

    // Touching last use by (account_id, id), the primary key.
    this.addSql(`DROP FUNCTION app_touch_api_key(uuid), app_touch_session(uuid), app_touch_scim_token(uuid);`);
    for (const [name, table, column] of [
      ['app_touch_api_key', 'api_keys', 'last_used_at'],
      ['app_touch_session', 'sessions', 'last_seen_at'],
      ['app_touch_scim_token', 'scim_tokens', 'last_used_at'],
    ]) {
      this.addSql(`
CREATE FUNCTION ${name}(p_account uuid, p_id uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  UPDATE ${table} SET ${column} = now() WHERE account_id = p_account AND id = p_id
$$;`);
      this.addSql(`REVOKE ALL ON FUNCTION ${name}(uuid, uuid) FROM PUBLIC;`);
      this.addSql(`GRANT EXECUTE ON FUNCTION ${name}(uuid, uuid) TO audit_app;`);
    }
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION app_touch_api_key(uuid, uuid), app_touch_session(uuid, uuid), app_touch_scim_token(uuid, uuid);`);
    for (const [name, table, column] of [
      ['app_touch_api_key', 'api_keys', 'last_used_at'],
      ['app_touch_session', 'sessions', 'last_seen_at'],
      ['app_touch_scim_token', 'scim_tokens', 'last_used_at'],
    ]) {
      this.addSql(`
CREATE FUNCTION ${name}(p_id uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  UPDATE ${table} SET ${column} = now() WHERE id = p_id
$$;`);
      this.addSql(`REVOKE ALL ON FUNCTION ${name}(uuid) FROM PUBLIC;`);
      this.addSql(`GRANT EXECUTE ON FUNCTION ${name}(uuid) TO audit_app;`);
    }
    this.addSql(`
CREATE OR REPLACE FUNCTION app_sso_route(p_domain text)
RETURNS TABLE (account_id uuid, protocol text, plan text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT c.account_id, c.protocol, a.plan FROM sso_domains d JOIN sso_connections c ON c.account_id = d.account_id JOIN accounts a ON a.id = d.account_id
  WHERE d.domain = lower(p_domain) AND d.verified_at IS NOT NULL AND c.enabled
$$;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_auth_session(p_hash bytea)
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
    this.addSql(`
CREATE OR REPLACE FUNCTION app_auth_scim_token(p_hash bytea)
RETURNS TABLE (id uuid, account_id uuid, plan text, last_used_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT t.id, t.account_id, a.plan, t.last_used_at FROM scim_tokens t JOIN accounts a ON a.id = t.account_id
  WHERE t.token_hash = p_hash AND t.revoked_at IS NULL
$$;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_invitation_lookup(p_hash bytea)
RETURNS TABLE (id uuid, account_id uuid, email text, expires_at timestamptz, accepted_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT i.id, i.account_id, i.email, i.expires_at, i.accepted_at FROM invitations i WHERE i.token_hash = p_hash
$$;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_auth_api_key(p_hash bytea)
RETURNS TABLE (id uuid, account_id uuid, scopes text[], workspace_id uuid, plan text, last_used_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT k.id, k.account_id, k.scopes, k.workspace_id, a.plan, k.last_used_at
  FROM api_keys k JOIN accounts a ON a.id = k.account_id
  WHERE k.key_hash = p_hash AND k.revoked_at IS NULL
$$;`);
    this.addSql(`DROP TRIGGER sso_domains_routes ON sso_domains;`);
    this.addSql(`CREATE UNIQUE INDEX sso_domains_verified_idx ON sso_domains (domain) WHERE verified_at IS NOT NULL;`);
    for (const [, table, column, oldKey, newKey] of CREDENTIALS) {
      this.addSql(`DROP TRIGGER ${table}_credential_index ON ${table};`);
      this.addSql(`ALTER TABLE ${table} DROP CONSTRAINT ${newKey}, ADD CONSTRAINT ${oldKey} UNIQUE (${column});`);
    }
    this.addSql(`DROP FUNCTION credential_index_sync(), sso_domain_routes_sync();`);
    this.addSql(`DROP TABLE sso_domain_routes, credential_index;`);
  }
}
