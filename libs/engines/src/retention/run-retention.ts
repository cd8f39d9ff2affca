import { entitlementsOf, planOrFree, retentionCutoff } from '@audit-trail/plans';
import { type Database } from '@audit-trail/data';
import type { AuditWriter } from '../events/audit-writer';

/** One account as the retention job sees it (app_retention_accounts()). */
interface AccountRow {
  id: string;
  name: string;
  plan: string;
  previous_retention_days: number | null;
  retention_grace_until: Date | null;
  ever_licensed: boolean;
  account_held: boolean;
  held_workspaces: string[];
}

export interface AccountPurge {
  account_id: string;
  plan: string;
  /** Events that occurred before this instant were purged; null = nothing may be purged. */
  cutoff: string | null;
  /** Until when a downgrade's longer retention still applies. */
  retention_grace_until: string | null;
  purged: number;
  /** `account` when an account-wide legal hold stopped the purge. */
  held: 'account' | null;
  /** Workspaces whose events a legal hold kept. */
  held_workspace_ids: string[];
}

export interface RetentionReport {
  ran_at: string;
  purged_total: number;
  partitions_dropped: string[];
  accounts: AccountPurge[];
}

export interface RunRetentionOptions {
  now?: Date;
  /** Only these accounts (an operator's targeted run); partitions holding others are never dropped. */
  accountIds?: string[];
  /** Rows per DELETE statement (each in its own short transaction). */
  batchSize?: number;
  /**
   * Pause after each batch, as a multiple of the time the batch took (1 = the
   * purge uses the database at most half the time), so ingestion keeps its
   * latency while a large purge runs.
   */
  throttle?: number;
  /**
   * Called once for each account about to be purged, before anything is
   * deleted (the worker writes a signed checkpoint there, so what remains of
   * a sealed log still verifies).
   */
  beforePurge?: (accountId: string, cutoff: Date) => Promise<void>;
  /** Application-role pool and writer for the `retention.purged` self-audit event. */
  audit?: AuditWriter;
}

/** The actor every purge is recorded under. */
export const RETENTION_ACTOR = { id: 'retention', name: 'Retention' };

/**
 * Purge what each account's plan no longer keeps.
 *
 * Runs on the retention role's pool (`audit_retention`, the only role the
 * append-only guard lets delete events). First, a month partition whose
 * every account is past its cutoff and under no legal hold is dropped whole
 * (O(1)); then each account's remaining expired events are deleted in
 * bounded batches, each batch its own short transaction, skipping held
 * workspaces, and an account-wide hold skips the account. Running it twice
 * deletes nothing more.
 */
export async function runRetention(db: Database, opts: RunRetentionOptions = {}): Promise<RetentionReport> {
  const now = opts.now ?? new Date();
  const batch = opts.batchSize ?? 5000;
  const throttle = opts.throttle ?? 1;
  const only = opts.accountIds ? new Set(opts.accountIds) : null;

  const client = await db.connect();
  let accounts: AccountRow[];
  let partitions: { name: string; range_end: Date }[];
  try {
    accounts = (await client.query<AccountRow>('SELECT * FROM app_retention_accounts()')).rows;
    partitions = (
      await client.query<{ name: string; range_end: Date }>(
        `SELECT name, range_end FROM audit_partitions() WHERE range_end <= date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
        [now],
      )
    ).rows;
  } finally {
    client.release();
  }

  const plans = new Map<string, { row: AccountRow; cutoff: Date | null; report: AccountPurge }>();
  for (const a of accounts) {
    const plan = planOrFree(a.plan).id;
    const cutoff = a.account_held
      ? null
      : retentionCutoff({ plan, previousRetentionDays: a.previous_retention_days, graceUntil: a.retention_grace_until }, now);
    plans.set(a.id, {
      row: a,
      cutoff,
      report: {
        account_id: a.id,
        plan,
        cutoff: cutoff?.toISOString() ?? null,
        retention_grace_until: a.retention_grace_until && a.retention_grace_until > now ? a.retention_grace_until.toISOString() : null,
        purged: 0,
        held: a.account_held ? 'account' : null,
        held_workspace_ids: a.held_workspaces,
      },
    });
  }
  const selected = [...plans.values()].filter((p) => !only || only.has(p.row.id));

  if (opts.beforePurge) {
    for (const p of selected) if (p.cutoff) await opts.beforePurge(p.row.id, p.cutoff);
  }

  // 1. Whole partitions: every account present is selected, past its cutoff, and holds nothing.
  const partitionsDropped: string[] = [];
  const clears = (accountId: string, end: Date) => {
    const p = plans.get(accountId);
    if (!p || (only && !only.has(accountId))) return false;
    return p.cutoff !== null && p.row.held_workspaces.length === 0 && end.getTime() <= p.cutoff.getTime();
  };
  for (const part of partitions) {
    const c = await db.connect();
    try {
      const present = (await c.query<{ account_id: string }>('SELECT account_id FROM audit_partition_accounts($1)', [part.name])).rows.map((r) => r.account_id);
      if (present.length === 0 || !present.every((id) => clears(id, part.range_end))) continue;
      const { rows } = await c.query<{ account_id: string; n: string }>('SELECT account_id, n FROM audit_drop_partition($1, $2::uuid[])', [part.name, present]);
      if (rows.length === 0) continue; // refused: a backfill arrived, or a lock was busy; the row deletes below cover it.
      partitionsDropped.push(part.name);
      for (const r of rows) {
        const p = plans.get(r.account_id);
        if (p) p.report.purged += Number(r.n);
      }
    } finally {
      c.release();
    }
  }

  // 2. What is left, per account, in bounded batches. Each batch starts after
  // the last one's position, so it never rescans the index entries of rows
  // already deleted (they stay until vacuum and would make every batch slower).
  for (const p of selected) {
    if (p.cutoff === null) continue;
    const held = p.row.held_workspaces;
    p.report.purged += await deleteInBatches(
      db,
      p.row.id,
      (after) => [
        // The batch's upper bound first, then one range DELETE: bounded by
        // occurred_at, it touches only the partitions it needs (a join on the
        // partitioned table would probe every partition for every row).
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
        [p.row.id, p.cutoff, held, batch, after.at, after.key ?? '00000000-0000-0000-0000-000000000000'],
      ],
      batch,
      throttle,
    );
    // Idempotency keys go with their events; they carry no workspace, so a workspace hold keeps them all.
    if (held.length === 0) {
      await deleteInBatches(
        db,
        p.row.id,
        (after) => [
          `WITH doomed AS (
             SELECT occurred_at, key FROM event_idempotency WHERE account_id = $1 AND occurred_at < $2 AND (occurred_at, key) > ($4::timestamptz, $5::text)
             ORDER BY occurred_at, key LIMIT $3),
           gone AS (DELETE FROM event_idempotency i USING doomed d WHERE i.account_id = $1 AND i.key = d.key RETURNING 1)
           SELECT (SELECT count(*) FROM gone)::int AS n, (SELECT count(*) FROM doomed)::int AS seen,
                  (SELECT occurred_at FROM doomed ORDER BY occurred_at DESC, key DESC LIMIT 1) AS last_at,
                  (SELECT key FROM doomed ORDER BY occurred_at DESC, key DESC LIMIT 1) AS last_key`,
          [p.row.id, p.cutoff, batch, after.at, after.key ?? ''],
        ],
        batch,
        throttle,
      );
    }
  }

  // 3. The purge is itself audited, in the account log, by the system.
  if (opts.audit) {
    for (const p of selected) {
      if (p.report.purged === 0) continue;
      await recordPurge(opts.audit, p.row, p.report, now);
    }
  }

  const reports = selected.map((p) => p.report);
  return {
    ran_at: now.toISOString(),
    purged_total: reports.reduce((s, r) => s + r.purged, 0),
    partitions_dropped: partitionsDropped,
    accounts: reports,
  };
}

interface BatchPosition {
  at: Date;
  key: string | null;
}

/** Run a batch statement until a batch sees fewer rows than its size; each batch its own short transaction. */
async function deleteInBatches(db: Database, accountId: string, statement: (after: BatchPosition) => [string, unknown[]], batch: number, throttle: number): Promise<number> {
  let total = 0;
  let after: BatchPosition = { at: new Date('1900-01-01T00:00:00Z'), key: null };
  for (;;) {
    const started = performance.now();
    const r = await db.tenant(accountId, async (c) => {
      const [sql, params] = statement(after);
      return (await c.query<{ n: number; seen: number; last_at: Date | null; last_key: string | null }>(sql, params)).rows[0];
    });
    total += r.n;
    if (r.seen < batch || !r.last_at) return total;
    after = { at: r.last_at, key: r.last_key };
    if (throttle > 0) await new Promise((res) => setTimeout(res, (performance.now() - started) * throttle));
  }
}

async function recordPurge(audit: AuditWriter, account: AccountRow, report: AccountPurge, now: Date): Promise<void> {
  await audit.recordForJob(
    {
      accountId: account.id,
      action: 'retention.purged',
      actor: { type: 'system', ...RETENTION_ACTOR },
      target: { type: 'account', id: account.id, name: account.name },
      metadata: {
        cutoff: report.cutoff,
        events_removed: report.purged,
        retention_days: entitlementsOf(planOrFree(account.plan).id).retention_days,
        retention_grace_until: report.retention_grace_until,
        held_workspace_ids: report.held_workspace_ids,
      },
    },
    now,
  );
}
