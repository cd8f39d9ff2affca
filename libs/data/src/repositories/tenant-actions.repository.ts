import type { SqlExecutor } from '../database';

/** A tenant's own action, as registered in its catalog. */
export interface TenantAction {
  action: string;
  category: string;
  description: string | null;
  metadata_schema: Record<string, unknown> | null;
  /** Goes up by one on every change: validators are cached per (account, action, version). */
  version: number;
  updated_at: Date;
}

const COLUMNS = 'action, category, description, metadata_schema, version, updated_at';

/** Every statement on tenant_actions. Run inside the tenant's transaction (RLS). */
export const tenantActions = {
  async list(exec: SqlExecutor): Promise<TenantAction[]> {
    return (await exec.query<TenantAction>(`SELECT ${COLUMNS} FROM tenant_actions ORDER BY action`)).rows;
  },

  async get(exec: SqlExecutor, action: string): Promise<TenantAction | null> {
    return (await exec.query<TenantAction>(`SELECT ${COLUMNS} FROM tenant_actions WHERE action = $1`, [action])).rows[0] ?? null;
  },

  /** Lock the row (if any) for a change in this transaction. */
  async getForUpdate(exec: SqlExecutor, action: string): Promise<TenantAction | null> {
    return (await exec.query<TenantAction>(`SELECT ${COLUMNS} FROM tenant_actions WHERE action = $1 FOR UPDATE`, [action])).rows[0] ?? null;
  },

  async upsert(exec: SqlExecutor, accountId: string, a: Pick<TenantAction, 'action' | 'category' | 'description' | 'metadata_schema'>): Promise<TenantAction> {
    const { rows } = await exec.query<TenantAction>(
      `INSERT INTO tenant_actions (account_id, action, category, description, metadata_schema)
       VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (account_id, action) DO UPDATE
         SET category = EXCLUDED.category, description = EXCLUDED.description, metadata_schema = EXCLUDED.metadata_schema,
             version = tenant_actions.version + 1, updated_at = now()
       RETURNING ${COLUMNS}`,
      [accountId, a.action, a.category, a.description, a.metadata_schema === null ? null : JSON.stringify(a.metadata_schema)],
    );
    return rows[0];
  },

  async remove(exec: SqlExecutor, action: string): Promise<TenantAction | null> {
    return (await exec.query<TenantAction>(`DELETE FROM tenant_actions WHERE action = $1 RETURNING ${COLUMNS}`, [action])).rows[0] ?? null;
  },
};
