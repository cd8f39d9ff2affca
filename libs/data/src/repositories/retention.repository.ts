import type { SqlExecutor } from '../database';

/**
 * The retention job's statements, on the retention role's connection (the
 * only role the append-only guard lets delete events).
 */

/** One account as the retention job sees it (app_retention_accounts()). */
export interface RetentionAccountRow {
  id: string;
  name: string;
  plan: string;
  previous_retention_days: number | null;
  retention_grace_until: Date | null;
  ever_licensed: boolean;
  account_held: boolean;
  held_workspaces: string[];
}

export async function retentionAccounts(exec: SqlExecutor): Promise<RetentionAccountRow[]> {
  return (await exec.query<RetentionAccountRow>('SELECT * FROM app_retention_accounts()')).rows;
}

/** Month partitions that ended before the month of `now` began. */
export async function endedPartitions(exec: SqlExecutor, now: Date): Promise<{ name: string; range_end: Date }[]> {
  const { rows } = await exec.query<{ name: string; range_end: Date }>(
    `SELECT name, range_end FROM audit_partitions() WHERE range_end <= date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
    [now],
  );
  return rows;
}

/** The accounts with events in one partition. */
export async function partitionAccounts(exec: SqlExecutor, partition: string): Promise<string[]> {
  return (await exec.query<{ account_id: string }>('SELECT account_id FROM audit_partition_accounts($1)', [partition])).rows.map((r) => r.account_id);
}

/**
 * Drop a partition holding only these accounts; the rows each had. Empty when
 * refused (a backfill arrived, or a lock was busy).
 */
export async function dropPartition(exec: SqlExecutor, partition: string, accountIds: string[]): Promise<{ account_id: string; n: number }[]> {
  const { rows } = await exec.query<{ account_id: string; n: string }>('SELECT account_id, n FROM audit_drop_partition($1, $2::uuid[])', [partition, accountIds]);
  return rows.map((r) => ({ account_id: r.account_id, n: Number(r.n) }));
}

/** Where a batched purge got to. */
export interface PurgePosition {
  at: Date;
  key: string | null;
}

export interface PurgeBatch {
  n: number;
  seen: number;
  last_at: Date | null;
  last_key: string | null;
}

/**
 * Delete one batch of an account's events older than `cutoff`, outside held
 * workspaces, after `after`. The batch's upper bound first, then one range
 * DELETE: bounded by occurred_at, it touches only the partitions it needs (a
 * join on the partitioned table would probe every partition for every row),
 * and each batch starts after the last one, never rescanning the index
 * entries of rows already deleted.
 */
export async function deleteExpiredEvents(exec: SqlExecutor, accountId: string, cutoff: Date, heldWorkspaces: string[], batch: number, after: PurgePosition): Promise<PurgeBatch> {
  const { rows } = await exec.query<PurgeBatch>(
    `WITH bound AS (
       SELECT occurred_at, id FROM audit_events
       WHERE account_id = $1 AND occurred_at < $2 AND (workspace_id IS NULL OR workspace_id <> ALL ($3::uuid[]))
         AND (occurred_at, id) > ($5::timestamptz, $6::uuid)
       ORDER BY occurred_at, id OFFSET $4 - 1 LIMIT 1),
     gone AS (
       DELETE FROM audit_events
       WHERE account_id = $1 AND occurred_at < $2 AND (workspace_id IS NULL OR workspace_id <> ALL ($3::uuid[]))
         AND occurred_at >= $5::timestamptz AND (occurred_at, id) > ($5::timestamptz, $6::uuid)
         AND (NOT EXISTS (SELECT 1 FROM bound) OR (occurred_at <= (SELECT occurred_at FROM bound) AND (occurred_at, id) <= (SELECT occurred_at, id FROM bound)))
       RETURNING 1)
     SELECT (SELECT count(*) FROM gone)::int AS n,
            CASE WHEN EXISTS (SELECT 1 FROM bound) THEN $4::int ELSE 0 END AS seen,
            (SELECT occurred_at FROM bound) AS last_at, (SELECT id::text FROM bound) AS last_key`,
    [accountId, cutoff, heldWorkspaces, batch, after.at, after.key ?? '00000000-0000-0000-0000-000000000000'],
  );
  return rows[0];
}

/** Delete one batch of an account's idempotency keys older than `cutoff` (they go with their events). */
export async function deleteExpiredIdempotencyKeys(exec: SqlExecutor, accountId: string, cutoff: Date, batch: number, after: PurgePosition): Promise<PurgeBatch> {
  const { rows } = await exec.query<PurgeBatch>(
    `WITH doomed AS (
       SELECT occurred_at, key FROM event_idempotency WHERE account_id = $1 AND occurred_at < $2 AND (occurred_at, key) > ($4::timestamptz, $5::text)
       ORDER BY occurred_at, key LIMIT $3),
     gone AS (DELETE FROM event_idempotency i USING doomed d WHERE i.account_id = $1 AND i.key = d.key RETURNING 1)
     SELECT (SELECT count(*) FROM gone)::int AS n, (SELECT count(*) FROM doomed)::int AS seen,
            (SELECT occurred_at FROM doomed ORDER BY occurred_at DESC, key DESC LIMIT 1) AS last_at,
            (SELECT key FROM doomed ORDER BY occurred_at DESC, key DESC LIMIT 1) AS last_key`,
    [accountId, cutoff, batch, after.at, after.key ?? ''],
  );
  return rows[0];
}
