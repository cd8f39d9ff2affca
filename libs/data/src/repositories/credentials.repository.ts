import type { ApiKeyScope } from '../entities/api-key.entity';
import type { Role } from '../entities/membership.entity';
import type { Database } from '../database';

/**
 * The look-ups made before the tenant is known: a credential, an email, an
 * invitation token, a Stripe customer. Each goes through one SECURITY DEFINER
 * function of the migrations, which returns only what the look-up needs. A
 * credential's hash is found in credential_index first, which names its
 * account; the row is then read by (account_id, hash).
 */

export interface ApiKeyRow {
  id: string;
  account_id: string;
  scopes: ApiKeyScope[];
  workspace_id: string | null;
  plan: string;
  last_used_at: Date | null;
}

export async function apiKeyByHash(db: Database, hash: Buffer): Promise<ApiKeyRow | null> {
  return db.withClient(async (c) => (await c.query<ApiKeyRow>('SELECT * FROM app_auth_api_key($1)', [hash])).rows[0] ?? null);
}

/** Fire and forget: the last-used time is a hint, never worth failing a request over. */
export function touchApiKey(db: Database, accountId: string, id: string): void {
  void db.withClient((c) => c.query('SELECT app_touch_api_key($1, $2)', [accountId, id])).catch(() => undefined);
}

export interface SessionRow {
  session_id: string;
  user_id: string;
  account_id: string;
  csrf_token: string;
  role: Role;
  workspace_ids: string[];
  plan: string;
  email: string;
  name: string | null;
  last_seen_at: Date | null;
  /** The account requires two-factor, and whether this person has it. */
  require_mfa: boolean;
  has_mfa: boolean;
  /** How the session began, and whether the account requires single sign-on. */
  auth_method: 'password' | 'sso';
  require_sso: boolean;
}

/** Fire and forget, like an API key's last use. */
export function touchSession(db: Database, accountId: string, id: string): void {
  void db.withClient((c) => c.query('SELECT app_touch_session($1, $2)', [accountId, id])).catch(() => undefined);
}

export async function sessionByHash(db: Database, hash: Buffer): Promise<SessionRow | null> {
  return db.withClient(async (c) => (await c.query<SessionRow>('SELECT * FROM app_auth_session($1)', [hash])).rows[0] ?? null);
}

export async function userIdByEmail(db: Database, email: string): Promise<string | null> {
  return db.withClient(async (c) => (await c.query<{ id: string | null }>('SELECT app_user_id_by_email($1) AS id', [email])).rows[0]?.id ?? null);
}

export interface LoginRow {
  user_id: string;
  password_hash: string;
  name: string | null;
  /** The person's default account and its plan, when they belong to one. */
  account_id: string | null;
  plan: string | null;
  /** Encrypted; present only when two-factor is enabled. */
  totp_secret: string | null;
  totp_last_step: string | null;
}

export async function loginByEmail(db: Database, email: string): Promise<LoginRow | undefined> {
  return db.withClient(async (c) => (await c.query<LoginRow>('SELECT * FROM app_login_lookup($1)', [email])).rows[0]);
}

export interface MembershipSummary {
  account_id: string;
  account_name: string;
  role: string;
  plan: string;
}

/** Every account a person belongs to, oldest membership first (memberships are global; the look-up bypasses tenancy on purpose). */
export async function membershipsOfUser(db: Database, userId: string): Promise<MembershipSummary[]> {
  return db.withClient(async (c) => (await c.query<MembershipSummary>('SELECT * FROM app_user_memberships($1)', [userId])).rows);
}

export interface InvitationRow {
  id: string;
  account_id: string;
  email: string;
  expires_at: Date;
  accepted_at: Date | null;
}

export async function invitationByHash(db: Database, hash: Buffer): Promise<InvitationRow | undefined> {
  return db.withClient(async (c) => (await c.query<InvitationRow>('SELECT * FROM app_invitation_lookup($1)', [hash])).rows[0]);
}

/** The account a Stripe object belongs to: by our id in its metadata, else by its customer id. */
export async function accountForStripe(db: Database, accountId: string | null, customer: string | null): Promise<string | null> {
  return db.withClient(async (c) => (await c.query<{ id: string | null }>('SELECT app_account_for_stripe($1::uuid, $2) AS id', [accountId, customer])).rows[0]?.id ?? null);
}
