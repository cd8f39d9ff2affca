import type { SqlExecutor } from './database';

const FETCH = 10_000;

/**
 * A server-side cursor read in batches, the next batch asked for while this
 * one is processed; never the whole result in memory. Runs inside the
 * caller's transaction.
 */
export async function* streamRows<T extends object>(c: SqlExecutor, name: string, sql: string, params: unknown[], fetchRows = FETCH): AsyncGenerator<T> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error('not a cursor name');
  await c.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  const fetch = () => c.query<T>(`FETCH ${fetchRows} FROM ${name}`);
  let pending: Promise<{ rows: T[] }> | null = fetch();
  try {
    while (pending) {
      const batch: { rows: T[] } = await pending;
      pending = batch.rows.length === fetchRows ? fetch() : null;
      for (const r of batch.rows) yield r;
    }
  } finally {
    // Stopped early (an error downstream): let the fetch in flight settle before the connection is reused.
    if (pending) await pending.catch(() => undefined);
  }
  await c.query(`CLOSE ${name}`);
}
