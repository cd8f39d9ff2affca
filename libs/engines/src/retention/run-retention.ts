import { entitlementsOf, planOrFree, retentionCutoff } from '@audit-trail/plans';
import {
  type Database,
  deleteExpiredEvents,
  deleteExpiredIdempotencyKeys,
  dropPartition,
  endedPartitions,
  partitionAccounts,
  type PurgeBatch,
  type PurgePosition,
  type RetentionAccountRow,
  retentionAccounts,
  type SqlExecutor,
} from '@audit-trail/data';
import type { AuditWriter } from '../events/audit-writer';

type AccountRow = RetentionAccountRow;

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

export interface PlannedPurge {
  row: AccountRow;
  /** Events before this instant go; null: nothing of this account may go (an account-wide hold). */
  cutoff: Date | null;
  report: AccountPurge;
}

/** Each account's cutoff under its plan (a downgrade's grace and an account-wide hold included), and its report so far. */
export function planPurges(accounts: AccountRow[], now: Date): Map<string, PlannedPurge> {
  const plans = new Map<string, PlannedPurge>();
  for (const a of accounts) {
    const plan = planOrFree(a.plan).id;
    const cutoff = a.account_held ? null : retentionCutoff({ plan, previousRetentionDays: a.previous_retention_days, graceUntil: a.retention_grace_until }, now);
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
  return plans;
}

/**
 * A whole month partition may be dropped when every account with rows in it
 * is part of this run, is past its cutoff for the whole month, and holds
 * nothing.
 */
export function partitionMayDrop(plans: Map<string, PlannedPurge>, only: Set<string> | null, present: string[], rangeEnd: Date): boolean {
  if (present.length === 0) return false;
  return present.every((id) => {
    const p = plans.get(id);
    if (!p || (only && !only.has(id))) return false;
    return p.cutoff !== null && p.row.held_workspaces.length === 0 && rangeEnd.getTime() <= p.cutoff.getTime();
  });
}

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

  const [accounts, partitions] = await db.withClient(async (c) => [await retentionAccounts(c), await endedPartitions(c, now)] as const);
  const plans = planPurges(accounts, now);
  const selected = [...plans.values()].filter((p) => !only || only.has(p.row.id));

  if (opts.beforePurge) {
    for (const p of selected) if (p.cutoff) await opts.beforePurge(p.row.id, p.cutoff);
  }

  // 1. Whole partitions: every account present is selected, past its cutoff, and holds nothing.
  const partitionsDropped: string[] = [];
  for (const part of partitions) {
    const dropped = await db.withClient(async (c) => {
      const present = await partitionAccounts(c, part.name);
      if (!partitionMayDrop(plans, only, present, part.range_end)) return null;
      return dropPartition(c, part.name, present);
    });
    if (!dropped || dropped.length === 0) continue; // kept, or refused (a backfill arrived, a lock was busy): the row deletes below cover it.
    partitionsDropped.push(part.name);
    for (const r of dropped) {
      const p = plans.get(r.account_id);
      if (p) p.report.purged += r.n;
    }
  }

  // 2. What is left, per account, in bounded batches. Each batch starts after
  // the last one's position, so it never rescans the index entries of rows
  // already deleted (they stay until vacuum and would make every batch slower).
  for (const p of selected) {
    if (p.cutoff === null) continue;
    const held = p.row.held_workspaces;
    const cutoff = p.cutoff;
    p.report.purged += await deleteInBatches(db, p.row.id, (c, after) => deleteExpiredEvents(c, p.row.id, cutoff, held, batch, after), batch, throttle);
    // Idempotency keys go with their events; they carry no workspace, so a workspace hold keeps them all.
    if (held.length === 0) {
      await deleteInBatches(db, p.row.id, (c, after) => deleteExpiredIdempotencyKeys(c, p.row.id, cutoff, batch, after), batch, throttle);
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

/** Run a batch statement until a batch sees fewer rows than its size; each batch its own short transaction. */
async function deleteInBatches(
  db: Database,
  accountId: string,
  statement: (c: SqlExecutor, after: PurgePosition) => Promise<PurgeBatch>,
  batch: number,
  throttle: number,
): Promise<number> {
  let total = 0;
  let after: PurgePosition = { at: new Date('1900-01-01T00:00:00Z'), key: null };
  for (;;) {
    const started = performance.now();
    const r = await db.tenant(accountId, (c) => statement(c, after));
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
