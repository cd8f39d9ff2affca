import { Migration } from '@mikro-orm/migrations';

/**
 * Identity for password users: TOTP two-factor (the secret encrypted, the
 * last accepted time step so no code works twice), one-use recovery codes
 * (hashed), password-reset tokens (hashed, 30 minutes, one use), a
 * last-seen time on sessions, and an account setting that requires two-factor.
 *
 * Reset tokens are read and spent before anyone is signed in, so only
 * SECURITY DEFINER functions touch them; the application role has no grant
 * on the table. A person's sessions span accounts, so listing and ending
 * them goes through functions that take the person's id.
 */
export class Migration20261201200000_identity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE users ADD COLUMN totp_secret text, ADD COLUMN totp_pending_secret text, ADD COLUMN totp_enabled_at timestamptz, ADD COLUMN totp_last_step bigint;`);
    this.addSql(`ALTER TABLE accounts ADD COLUMN require_mfa boolean NOT NULL DEFAULT false;`);
    this.addSql(`ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz;`);
    this.addSql(`
CREATE TABLE recovery_codes (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash bytea NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);`);
    this.addSql(`CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);`);
    this.addSql(`ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;`);
    this.addSql(`ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;`);
    this.addSql(`CREATE POLICY own_codes ON recovery_codes USING (user_id = app_current_user()) WITH CHECK (user_id = app_current_user());`);
    this.addSql(`GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO audit_app;`);
    this.addSql(`
CREATE TABLE password_resets (
  token_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);`);
    this.addSql(`CREATE INDEX password_resets_user_idx ON password_resets (user_id);`);
    this.addSql(`ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY;`);
    this.addSql(`ALTER TABLE password_resets FORCE ROW LEVEL SECURITY;`);

    // Sign-in now needs the person's second factor and whether their account requires one.
    this.addSql(`DROP FUNCTION app_login_lookup(text);`);
    this.addSql(`
CREATE FUNCTION app_login_lookup(p_email text)
RETURNS TABLE (user_id uuid, password_hash text, name text, account_id uuid, plan text, totp_secret text, totp_last_step bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT u.id, u.password_hash, u.name, m.account_id, a.plan, CASE WHEN u.totp_enabled_at IS NOT NULL THEN u.totp_secret END, u.totp_last_step
  FROM users u
  LEFT JOIN LATERAL (
    SELECT m.account_id FROM memberships m WHERE m.user_id = u.id ORDER BY m.created_at LIMIT 1
  ) m ON true
  LEFT JOIN accounts a ON a.id = m.account_id
  WHERE u.email = lower(p_email)
$$;`);
    // A session knows whether its account requires two-factor and whether the person has it.
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
  JOIN memberships m ON m.account_id = s.account_id AND m.user_id = s.user_id
  JOIN accounts a ON a.id = s.account_id
  JOIN users u ON u.id = s.user_id
  WHERE s.token_hash = p_hash AND s.expires_at > now()
$$;`);
    this.addSql(`
CREATE FUNCTION app_touch_session(p_id uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  UPDATE sessions SET last_seen_at = now() WHERE id = p_id
$$;`);
    // A person's sessions in every account, and ending one of them (only their own).
    this.addSql(`
CREATE FUNCTION app_user_sessions(p_user uuid)
RETURNS TABLE (id uuid, account_id uuid, account_name text, ip text, user_agent text, created_at timestamptz, last_seen_at timestamptz, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT s.id, s.account_id, a.name, s.ip, s.user_agent, s.created_at, s.last_seen_at, s.expires_at
  FROM sessions s JOIN accounts a ON a.id = s.account_id
  WHERE s.user_id = p_user AND s.expires_at > now()
  ORDER BY coalesce(s.last_seen_at, s.created_at) DESC
$$;`);
    this.addSql(`
CREATE FUNCTION app_end_user_session(p_user uuid, p_session uuid) RETURNS uuid
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  DELETE FROM sessions WHERE id = p_session AND user_id = p_user RETURNING account_id
$$;`);
    // Password reset: a token for an email that exists (nothing otherwise), and spending it.
    this.addSql(`
CREATE FUNCTION app_password_reset_create(p_email text, p_hash bytea, p_expires timestamptz)
RETURNS TABLE (user_id uuid, name text, account_id uuid, plan text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE v_user uuid;
BEGIN
  SELECT u.id INTO v_user FROM users u WHERE u.email = lower(p_email);
  IF v_user IS NULL THEN RETURN; END IF;
  INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES (p_hash, v_user, p_expires);
  RETURN QUERY SELECT l.user_id, l.name, l.account_id, l.plan FROM app_login_lookup(p_email) l;
END $$;`);
    this.addSql(`
CREATE FUNCTION app_password_reset_complete(p_hash bytea, p_password_hash text)
RETURNS TABLE (user_id uuid, email text, name text, sessions_ended integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE v_user uuid; v_ended integer;
BEGIN
  SELECT r.user_id INTO v_user FROM password_resets r
   WHERE r.token_hash = p_hash AND r.used_at IS NULL AND r.expires_at > now() FOR UPDATE;
  IF v_user IS NULL THEN RETURN; END IF;
  -- This token and every other outstanding one of the person are spent.
  UPDATE password_resets SET used_at = now() WHERE password_resets.user_id = v_user AND used_at IS NULL;
  UPDATE users SET password_hash = p_password_hash WHERE id = v_user;
  DELETE FROM sessions WHERE sessions.user_id = v_user;
  GET DIAGNOSTICS v_ended = ROW_COUNT;
  RETURN QUERY SELECT u.id, u.email, u.name, v_ended FROM users u WHERE u.id = v_user;
END $$;`);
    this.addSql(`REVOKE ALL ON FUNCTION app_touch_session(uuid), app_user_sessions(uuid), app_end_user_session(uuid, uuid), app_password_reset_create(text, bytea, timestamptz), app_password_reset_complete(bytea, text), app_login_lookup(text), app_auth_session(bytea) FROM PUBLIC;`);
    this.addSql(`GRANT EXECUTE ON FUNCTION app_touch_session(uuid), app_user_sessions(uuid), app_end_user_session(uuid, uuid), app_password_reset_create(text, bytea, timestamptz), app_password_reset_complete(bytea, text), app_login_lookup(text), app_auth_session(bytea) TO audit_app;`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION IF EXISTS app_password_reset_complete(bytea, text), app_password_reset_create(text, bytea, timestamptz), app_end_user_session(uuid, uuid), app_user_sessions(uuid), app_touch_session(uuid);`);
    this.addSql(`DROP TABLE IF EXISTS password_resets, recovery_codes;`);
    this.addSql(`ALTER TABLE sessions DROP COLUMN last_seen_at;`);
    this.addSql(`ALTER TABLE accounts DROP COLUMN require_mfa;`);
    this.addSql(`ALTER TABLE users DROP COLUMN totp_last_step, DROP COLUMN totp_enabled_at, DROP COLUMN totp_pending_secret, DROP COLUMN totp_secret;`);
  }
}
