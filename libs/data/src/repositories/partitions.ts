import type { SqlExecutor } from '../database';

/** `YYYY-MM` of an instant in UTC: the month partition it belongs to. */
export function monthKey(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/**
 * Remembers which monthly partitions exist so ingest only asks the database
 * to create one for a month it has not seen (a backfill, a new month).
 */
export class PartitionCache {
  private known = new Set<string>();

  async ensure(exec: SqlExecutor, instants: Iterable<Date>): Promise<void> {
    const missing = new Map<string, Date>();
    for (const d of instants) {
      const k = monthKey(d);
      if (!this.known.has(k) && !missing.has(k)) missing.set(k, d);
    }
    for (const [k, d] of missing) {
      await exec.query('SELECT audit_ensure_partition($1)', [d.toISOString()]);
      this.known.add(k);
    }
  }

  /** Whether any of these instants falls in a month not seen yet (ensure would ask the database). */
  needs(instants: Iterable<Date>): boolean {
    for (const d of instants) if (!this.known.has(monthKey(d))) return true;
    return false;
  }

  /** Forget everything (a partition was dropped under us). */
  reset(): void {
    this.known.clear();
  }
}

/** PostgreSQL's "no partition of relation found for row". */
export function isMissingPartition(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23514' && /no partition/i.test(String((err as Error).message));
}

/** Make sure the partitions of this month and the next `monthsAhead` exist; returns their names. Idempotent. */
export async function ensurePartitionsAhead(exec: SqlExecutor, monthsAhead: number): Promise<string[]> {
  const { rows } = await exec.query<{ name: string }>(
    'SELECT audit_ensure_partition(now() + make_interval(months => m)) AS name FROM generate_series(0, $1::int) AS m',
    [monthsAhead],
  );
  return rows.map((r) => r.name);
}
