import { Injectable } from '@nestjs/common';
import { API_KEY_SCOPES, apiKeyByHash, type ApiKeyScope, Database, readAccountPlan, scimTokenByHash, sessionByHash, touchApiKey, touchScimToken, touchSession } from '@audit-trail/data';
import { hasEntitlement, type PlanId, planOrFree } from '@audit-trail/plans';
import type { Principal } from '../common/principal';
import { sha256 } from './secrets';
import { isAccountAdmin } from '@audit-trail/audit-core';

/** How long a resolved API key is trusted without asking the database (revocation latency). */
const KEY_TTL_MS = 1000;
const TOUCH_EVERY_MS = 60_000;
const ALL_SCOPES: ReadonlySet<ApiKeyScope> = new Set(API_KEY_SCOPES);
const NO_SCOPES: ReadonlySet<ApiKeyScope> = new Set();

interface CachedKey {
  principal: Principal | null;
  expires: number;
}

/**
 * Turns credentials into a principal. API keys are cached in memory for one
 * second, so ingest pays no database round trip for authentication while a
 * revoked key stops working within a second.
 */
@Injectable()
export class PrincipalResolver {
  private readonly keys = new Map<string, CachedKey>();
  private readonly inflight = new Map<string, Promise<Principal | null>>();

  constructor(private readonly db: Database) {}

  async apiKey(key: string): Promise<Principal | null> {
    const hash = sha256(key);
    const id = hash.toString('hex');
    const hit = this.keys.get(id);
    const now = Date.now();
    if (hit && hit.expires > now) return hit.principal;
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.loadKey(hash).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    const principal = await pending;
    if (this.keys.size > 10_000) this.keys.clear();
    this.keys.set(id, { principal, expires: Date.now() + KEY_TTL_MS });
    return principal;
  }

  /** Forget a key at once in this process (revoke, rotate). */
  forgetKeys(): void {
    this.keys.clear();
  }

  private async loadKey(hash: Buffer): Promise<Principal | null> {
    const row = await apiKeyByHash(this.db, hash);
    if (!row) return null;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > TOUCH_EVERY_MS) touchApiKey(this.db, row.account_id, row.id);
    return {
      kind: 'api_key',
      accountId: row.account_id,
      plan: planOrFree(row.plan).id,
      scopes: new Set(row.scopes),
      boundWorkspaceId: row.workspace_id,
      apiKeyId: row.id,
      userId: null,
      email: null,
      name: null,
      role: null,
      adminWorkspaceIds: [],
      sessionId: null,
    };
  }

  /** A SCIM token's account and plan; null for an unknown or revoked token. */
  async scimToken(token: string): Promise<{ accountId: string; plan: PlanId; tokenId: string } | null> {
    const row = await scimTokenByHash(this.db, sha256(token));
    if (!row) return null;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > TOUCH_EVERY_MS) touchScimToken(this.db, row.account_id, row.id);
    return { accountId: row.account_id, plan: planOrFree(row.plan).id, tokenId: row.id };
  }

  /** The plan of the account a viewer token names, or null when the account is gone. */
  async accountPlan(accountId: string): Promise<PlanId | null> {
    const plan = await this.db.tenant(accountId, (c) => readAccountPlan(c, accountId), { readOnly: true });
    return plan === null ? null : planOrFree(plan).id;
  }

  async session(token: string): Promise<(Principal & { csrfToken: string }) | null> {
    const row = await sessionByHash(this.db, sha256(token));
    if (!row) return null;
    // Once the account requires single sign-on, a member's password session no longer counts (owners keep theirs).
    if (row.require_sso && hasEntitlement(planOrFree(row.plan).id, 'sso') && row.auth_method !== 'sso' && row.role !== 'owner') return null;
    if (!row.last_seen_at || Date.now() - row.last_seen_at.getTime() > TOUCH_EVERY_MS) touchSession(this.db, row.account_id, row.session_id);
    const isAdmin = isAccountAdmin({ kind: 'session', role: row.role });
    const scopes: ReadonlySet<ApiKeyScope> = isAdmin
      ? ALL_SCOPES
      : row.workspace_ids.length > 0
        ? new Set<ApiKeyScope>(['events:read', 'exports:write'])
        : NO_SCOPES;
    return {
      kind: 'session',
      accountId: row.account_id,
      plan: planOrFree(row.plan).id,
      scopes: new Set([...scopes].filter((s) => s !== 'events:write')),
      boundWorkspaceId: null,
      apiKeyId: null,
      userId: row.user_id,
      email: row.email,
      name: row.name,
      role: row.role,
      adminWorkspaceIds: row.workspace_ids,
      sessionId: row.session_id,
      // The identity provider answers for an SSO session's second factor.
      mfaSetupRequired: row.require_mfa && !row.has_mfa && row.auth_method !== 'sso',
      csrfToken: row.csrf_token,
    };
  }
}
