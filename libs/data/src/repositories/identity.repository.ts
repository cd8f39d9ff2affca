import type { Database, SqlExecutor } from '../database';

/**
 * Two-factor, recovery codes, password resets and a person's sessions. The
 * TOTP and recovery-code statements run in a tenant transaction that names
 * the person (`userId`): row-level security lets them touch only their own
 * rows. Resets and sessions across accounts go through SECURITY DEFINER
 * functions (see the identity migration).
 */

export async function setPendingTotp(exec: SqlExecutor, userId: string, sealedSecret: string): Promise<void> {
  await exec.query('UPDATE users SET totp_pending_secret = $2 WHERE id = $1', [userId, sealedSecret]);
}

export async function totpState(exec: SqlExecutor, userId: string): Promise<{ secret: string | null; pending: string | null; enabled_at: Date | null; last_step: string | null } | null> {
  const { rows } = await exec.query<{ secret: string | null; pending: string | null; enabled_at: Date | null; last_step: string | null }>(
    'SELECT totp_secret AS secret, totp_pending_secret AS pending, totp_enabled_at AS enabled_at, totp_last_step AS last_step FROM users WHERE id = $1',
    [userId],
  );
  return rows[0] ?? null;
}

/** The pending secret becomes the secret; `step` (the confirming code's) can never be used again. */
export async function enableTotp(exec: SqlExecutor, userId: string, step: number): Promise<boolean> {
  const { rows } = await exec.query(
    'UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_enabled_at = now(), totp_last_step = $2 WHERE id = $1 AND totp_pending_secret IS NOT NULL AND totp_enabled_at IS NULL RETURNING id',
    [userId, step],
  );
  return rows.length === 1;
}

export async function disableTotp(exec: SqlExecutor, userId: string): Promise<void> {
  await exec.query('UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL WHERE id = $1', [userId]);
  await exec.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
}

/** Accept a code's time step once: false when it (or a later one) was already used. */
export async function claimTotpStep(exec: SqlExecutor, userId: string, step: number): Promise<boolean> {
  const { rows } = await exec.query('UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id', [userId, step]);
  return rows.length === 1;
}

export async function replaceRecoveryCodes(exec: SqlExecutor, userId: string, codes: { id: string; hash: Buffer }[]): Promise<void> {
  await exec.query('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
  await exec.query('INSERT INTO recovery_codes (id, user_id, code_hash) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bytea[])', [
    codes.map((c) => c.id),
    codes.map(() => userId),
    codes.map((c) => c.hash),
  ]);
}

/** Spend one recovery code; false when it is unknown or already used. */
export async function useRecoveryCode(exec: SqlExecutor, userId: string, hash: Buffer): Promise<{ remaining: number } | null> {
  const used = await exec.query('UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id', [userId, hash]);
  if (used.rows.length !== 1) return null;
  const { rows } = await exec.query<{ n: string }>('SELECT count(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL', [userId]);
  return { remaining: Number(rows[0].n) };
}

export interface UserSessionRow {
  id: string;
  account_id: string;
  account_name: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
  last_seen_at: Date | null;
  expires_at: Date;
}

export async function userSessions(db: Database, userId: string): Promise<UserSessionRow[]> {
  return db.withClient(async (c) => (await c.query<UserSessionRow>('SELECT * FROM app_user_sessions($1)', [userId])).rows);
}

/** End one of a person's own sessions; the account it was in, or null when it is not theirs. */
export async function endUserSession(db: Database, userId: string, sessionId: string): Promise<string | null> {
  return db.withClient(async (c) => (await c.query<{ account_id: string | null }>('SELECT app_end_user_session($1, $2) AS account_id', [userId, sessionId])).rows[0]?.account_id ?? null);
}

export interface ResetRequestRow {
  user_id: string;
  name: string | null;
  account_id: string | null;
  plan: string | null;
}

/** A reset token for the email's person, when there is one. */
export async function createPasswordReset(db: Database, email: string, tokenHash: Buffer, expiresAt: Date): Promise<ResetRequestRow | null> {
  return db.withClient(async (c) => (await c.query<ResetRequestRow>('SELECT * FROM app_password_reset_create($1, $2, $3)', [email, tokenHash, expiresAt.toISOString()])).rows[0] ?? null);
}

/** Spend a valid token: the new password, every session ended. Null for an unknown, used or expired token. */
export async function completePasswordReset(db: Database, tokenHash: Buffer, passwordHash: string): Promise<{ user_id: string; email: string; name: string | null; sessions_ended: number } | null> {
  return db.withClient(
    async (c) => (await c.query<{ user_id: string; email: string; name: string | null; sessions_ended: number }>('SELECT * FROM app_password_reset_complete($1, $2)', [tokenHash, passwordHash])).rows[0] ?? null,
  );
}

/** Whether the account requires two-factor of its password users. */
export async function accountRequiresMfa(exec: SqlExecutor, accountId: string): Promise<boolean> {
  const { rows } = await exec.query<{ require_mfa: boolean }>('SELECT require_mfa FROM accounts WHERE id = $1', [accountId]);
  return rows[0]?.require_mfa ?? false;
}

export async function setAccountRequiresMfa(exec: SqlExecutor, accountId: string, value: boolean): Promise<boolean> {
  const { rows } = await exec.query<{ before: boolean }>(
    'UPDATE accounts a SET require_mfa = $2 FROM (SELECT require_mfa AS before FROM accounts WHERE id = $1 FOR UPDATE) b WHERE a.id = $1 RETURNING b.before',
    [accountId, value],
  );
  return rows[0]?.before ?? false;
}
