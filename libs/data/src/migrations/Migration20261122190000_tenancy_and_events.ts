import { Migration } from '@mikro-orm/migrations';

/**
 * Hand-written: what the entity diff cannot express.
 *
 * - roles: `audit_app` (the api and worker log in as it; owns nothing),
 *   `audit_retention` (the only role the append-only guard lets delete events);
 * - row-level security on every tenant table, keyed on the transaction-local
 *   setting `app.account_id`;
 * - the audit_events table: partitioned by month on occurred_at, append-only,
 *   with room for the integrity columns (log_seq, leaf_hash);
 * - SECURITY DEFINER functions for the few look-ups that happen before the
 *   tenant is known (API key, session, login, invitation).
 */
export class Migration20261122190000_tenancy_and_events extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'audit_app') THEN
    CREATE ROLE audit_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'audit_retention') THEN
    CREATE ROLE audit_retention NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
END $$;`);

    this.addSql(`
CREATE OR REPLACE FUNCTION app_current_account() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('app.account_id', true), '')::uuid
$$;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_current_user() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('app.user_id', true), '')::uuid
$$;`);

    // ---- audit events -------------------------------------------------
    this.addSql(`
CREATE TABLE audit_events (
  account_id      uuid        NOT NULL,
  id              uuid        NOT NULL,
  workspace_id    uuid,
  occurred_at     timestamptz NOT NULL,
  received_at     timestamptz NOT NULL,
  action          text        NOT NULL,
  category        text        NOT NULL,
  actor_type      text        NOT NULL,
  actor_id        text,
  actor_email     text,
  actor_name      text,
  target_type     text,
  target_id       text,
  target_name     text,
  ip              inet,
  user_agent      text,
  outcome         text        NOT NULL,
  metadata        jsonb,
  changes         jsonb,
  idempotency_key text,
  log_seq         bigint,
  leaf_hash       bytea,
  PRIMARY KEY (account_id, occurred_at, id)
) PARTITION BY RANGE (occurred_at);`);
    // The log page: one log (account or workspace), newest first.
    this.addSql(`CREATE INDEX audit_events_log_idx ON audit_events (account_id, workspace_id, occurred_at DESC, id DESC);`);
    // Filters the console and API offer: member, action, target.
    this.addSql(`CREATE INDEX audit_events_actor_idx ON audit_events (account_id, actor_id, occurred_at DESC) WHERE actor_id IS NOT NULL;`);
    this.addSql(`CREATE INDEX audit_events_email_idx ON audit_events (account_id, actor_email, occurred_at DESC) WHERE actor_email IS NOT NULL;`);
    this.addSql(`CREATE INDEX audit_events_action_idx ON audit_events (account_id, action, occurred_at DESC);`);
    this.addSql(`CREATE INDEX audit_events_target_idx ON audit_events (account_id, target_type, target_id, occurred_at DESC) WHERE target_type IS NOT NULL;`);

    this.addSql(`
CREATE OR REPLACE FUNCTION audit_events_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'TRUNCATE') AND pg_has_role(current_user, 'audit_retention', 'MEMBER')
     AND NOT pg_has_role(current_user, 'audit_app', 'MEMBER') THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % refused for role %', TG_OP, current_user
    USING ERRCODE = 'insufficient_privilege';
END $$;`);
    this.addSql(`CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_guard();`);
    this.addSql(`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_guard();`);

    // Monthly partitions, created on demand (ingest calls this for a month it has not seen).
    this.addSql(`
CREATE OR REPLACE FUNCTION audit_ensure_partition(p_at timestamptz) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  v_start timestamptz := date_trunc('month', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  v_end   timestamptz := v_start + interval '1 month';
  v_name  text := format('audit_events_y%sm%s', to_char(v_start AT TIME ZONE 'UTC', 'YYYY'), to_char(v_start AT TIME ZONE 'UTC', 'MM'));
BEGIN
  IF to_regclass(v_name) IS NOT NULL THEN
    RETURN v_name;
  END IF;
  BEGIN
    EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)', v_name, v_start, v_end);
    EXECUTE format('CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_events_guard()', v_name);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', v_name);
  EXCEPTION WHEN duplicate_table OR unique_violation THEN
    NULL; -- created by a concurrent call
  END;
  RETURN v_name;
END $$;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION audit_partitions() RETURNS TABLE (name text, range_start timestamptz, range_end timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT c.relname::text,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz,
         (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = 'audit_events'::regclass
  ORDER BY 2
$$;`);
    // The current month and the next three exist from the start.
    this.addSql(`SELECT audit_ensure_partition(now() + make_interval(months => m)) FROM generate_series(-1, 3) AS m;`);

    // Idempotency keys: one event per key per account, forever.
    this.addSql(`
CREATE TABLE event_idempotency (
  account_id  uuid        NOT NULL,
  key         text        NOT NULL,
  event_id    uuid        NOT NULL,
  occurred_at timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, key)
);`);

    // Actions a tenant registers with its own category and description.
    this.addSql(`
CREATE TABLE tenant_actions (
  account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  action      text NOT NULL,
  category    text NOT NULL,
  description text,
  PRIMARY KEY (account_id, action)
);`);

    // ---- row-level security ------------------------------------------
    const byAccount = ['workspaces', 'memberships', 'sessions', 'api_keys', 'invitations', 'audit_events', 'event_idempotency', 'tenant_actions'];
    for (const table of byAccount) {
      this.addSql(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;`);
      this.addSql(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;`);
      this.addSql(
        `CREATE POLICY tenant_isolation ON ${table} USING (account_id = app_current_account()) WITH CHECK (account_id = app_current_account());`,
      );
    }
    this.addSql(`ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;`);
    this.addSql(`ALTER TABLE accounts FORCE ROW LEVEL SECURITY;`);
    this.addSql(`CREATE POLICY tenant_isolation ON accounts USING (id = app_current_account()) WITH CHECK (id = app_current_account());`);
    // Users are global: a user sees themself and the members of the current account.
    this.addSql(`ALTER TABLE users ENABLE ROW LEVEL SECURITY;`);
    this.addSql(`ALTER TABLE users FORCE ROW LEVEL SECURITY;`);
    this.addSql(`
CREATE POLICY users_visible ON users FOR SELECT USING (
  id = app_current_user()
  OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.account_id = app_current_account())
);`);
    this.addSql(`CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (id = app_current_user());`);
    this.addSql(`CREATE POLICY users_update ON users FOR UPDATE USING (id = app_current_user()) WITH CHECK (id = app_current_user());`);

    // ---- look-ups before the tenant is known -------------------------
    this.addSql(`
CREATE OR REPLACE FUNCTION app_auth_api_key(p_hash bytea)
RETURNS TABLE (id uuid, account_id uuid, scopes text[], workspace_id uuid, plan text, last_used_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT k.id, k.account_id, k.scopes, k.workspace_id, a.plan, k.last_used_at
  FROM api_keys k JOIN accounts a ON a.id = k.account_id
  WHERE k.key_hash = p_hash AND k.revoked_at IS NULL
$$;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_touch_api_key(p_id uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  UPDATE api_keys SET last_used_at = now() WHERE id = p_id
$$;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_auth_session(p_hash bytea)
RETURNS TABLE (session_id uuid, user_id uuid, account_id uuid, csrf_token text, expires_at timestamptz,
               role text, workspace_ids text[], plan text, email text, name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT s.id, s.user_id, s.account_id, s.csrf_token, s.expires_at, m.role, m.workspace_ids, a.plan, u.email, u.name
  FROM sessions s
  JOIN memberships m ON m.account_id = s.account_id AND m.user_id = s.user_id
  JOIN accounts a ON a.id = s.account_id
  JOIN users u ON u.id = s.user_id
  WHERE s.token_hash = p_hash AND s.expires_at > now()
$$;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_login_lookup(p_email text)
RETURNS TABLE (user_id uuid, password_hash text, name text, account_id uuid, plan text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT u.id, u.password_hash, u.name, m.account_id, a.plan
  FROM users u
  LEFT JOIN LATERAL (
    SELECT m.account_id FROM memberships m WHERE m.user_id = u.id ORDER BY m.created_at LIMIT 1
  ) m ON true
  LEFT JOIN accounts a ON a.id = m.account_id
  WHERE u.email = lower(p_email)
$$;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_user_memberships(p_user uuid)
RETURNS TABLE (account_id uuid, account_name text, role text, plan text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT a.id, a.name, m.role, a.plan FROM memberships m JOIN accounts a ON a.id = m.account_id
  WHERE m.user_id = p_user ORDER BY m.created_at
$$;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_invitation_lookup(p_hash bytea)
RETURNS TABLE (id uuid, account_id uuid, email text, expires_at timestamptz, accepted_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT i.id, i.account_id, i.email, i.expires_at, i.accepted_at FROM invitations i WHERE i.token_hash = p_hash
$$;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_user_id_by_email(p_email text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT id FROM users WHERE email = lower(p_email)
$$;`);

    // ---- privileges -----------------------------------------------------
    this.addSql(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;`);
    this.addSql(`REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;`);
    this.addSql(`GRANT USAGE ON SCHEMA public TO audit_app, audit_retention;`);
    this.addSql(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON accounts, workspaces, users, memberships, sessions, api_keys, invitations, event_idempotency, tenant_actions TO audit_app;`,
    );
    this.addSql(`GRANT SELECT ON mikro_orm_migrations TO audit_app;`);
    // The events table: read and append, nothing else.
    this.addSql(`GRANT SELECT, INSERT ON audit_events TO audit_app;`);
    this.addSql(`GRANT SELECT, DELETE ON audit_events, event_idempotency TO audit_retention;`);
    this.addSql(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO audit_app, audit_retention;`);
  }
}
