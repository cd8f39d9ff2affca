import type { SqlExecutor } from '../database';

/** A person's saved Audit Log search. */
export interface SavedSearchRow {
  id: string;
  name: string;
  query: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, query, created_at, updated_at';

/** Every statement on saved_searches. Run inside the tenant's transaction (RLS); each takes the person's user id. */
export const savedSearches = {
  async list(exec: SqlExecutor, userId: string): Promise<SavedSearchRow[]> {
    return (await exec.query<SavedSearchRow>(`SELECT ${COLUMNS} FROM saved_searches WHERE user_id = $1 ORDER BY lower(name), name`, [userId])).rows;
  },

  /**
   * Save under a name (the same name replaces that search's query). Null when
   * the person already keeps `max` searches and this name is new.
   */
  async save(exec: SqlExecutor, s: { accountId: string; id: string; userId: string; name: string; query: string }, max: number): Promise<SavedSearchRow | null> {
    const { rows } = await exec.query<SavedSearchRow>(
      `INSERT INTO saved_searches (account_id, id, user_id, name, query)
       SELECT $1, $2, $3, $4, $5
        WHERE (SELECT count(*) FROM saved_searches WHERE user_id = $3) < $6
           OR EXISTS (SELECT 1 FROM saved_searches WHERE user_id = $3 AND name = $4)
       ON CONFLICT (account_id, user_id, name) DO UPDATE SET query = EXCLUDED.query, updated_at = now()
       RETURNING ${COLUMNS}`,
      [s.accountId, s.id, s.userId, s.name, s.query, max],
    );
    return rows[0] ?? null;
  },

  /** True when the person had a search with this id. */
  async remove(exec: SqlExecutor, userId: string, id: string): Promise<boolean> {
    return (await exec.query('DELETE FROM saved_searches WHERE id = $1 AND user_id = $2 RETURNING id', [id, userId])).rows.length > 0;
  },
};
