import type { Database, SqlExecutor } from '../database';

/** Small reads and writes on the account's directory tables (workspaces, api_keys, sessions) that the ORM entities do not cover. */

/** The ids of the tenant's workspaces. */
export async function workspaceIdsOf(exec: SqlExecutor): Promise<Set<string>> {
  return new Set((await exec.query<{ id: string }>('SELECT id FROM workspaces')).rows.map((r) => r.id));
}

/** Whether the tenant has (or had: revoked keys count) an API key with this id. */
export async function apiKeyExists(exec: SqlExecutor, id: string): Promise<boolean> {
  return (await exec.query('SELECT 1 FROM api_keys WHERE id = $1', [id])).rows.length > 0;
}

/** A person's sessions in one account end (their membership was removed). */
export async function endSessionsOf(exec: SqlExecutor, userId: string, accountId: string): Promise<number> {
  const { rows } = await exec.query('DELETE FROM sessions WHERE user_id = $1 AND account_id = $2 RETURNING id', [userId, accountId]);
  return rows.length;
}

export interface DueDelivery {
  destination_id: string;
  account_id: string;
  replay_id: string | null;
}

/** Across every tenant (a SECURITY DEFINER function): destinations and replays with something to send now. */
export async function deliveriesDue(db: Database): Promise<DueDelivery[]> {
  return db.withClient(async (c) => (await c.query<DueDelivery>('SELECT * FROM app_forwarding_due(now())')).rows);
}

/** The account's stored plan id (null: no such account, or not this tenant's). */
export async function readAccountPlan(exec: SqlExecutor, accountId: string): Promise<string | null> {
  return (await exec.query<{ plan: string }>('SELECT plan FROM accounts WHERE id = $1', [accountId])).rows[0]?.plan ?? null;
}
