import type { QueryResultRow } from 'pg';
import type { SqlExecutor } from './database';

const FETCH = 10_000;

/** A connection that can also return rows as arrays (a pg client does). */
export interface ArrayRowExecutor extends SqlExecutor {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  query(config: { text: string; rowMode: 'array' }): Promise<{ rows: unknown[] }>;
}

/**
 * A server-side cursor read in batches, the next batch asked for while this
 * one is processed; never the whole result in memory. Runs inside the
 * caller's transaction.
 */
export function streamRows<T extends object>(c: SqlExecutor, name: string, sql: string, params: unknown[], fetchRows = FETCH): AsyncGenerator<T> {
  return fromCursor<T>(c, name, sql, params, (text) => c.query<T & QueryResultRow>(text), fetchRows);
}

/** streamRows with each row an array of its values in select-list order: no object per row (verification's long reads). */
export function streamArrayRows<T extends unknown[]>(c: ArrayRowExecutor, name: string, sql: string, params: unknown[], fetchRows = FETCH): AsyncGenerator<T> {
  return fromCursor<T>(c, name, sql, params, async (text) => (await c.query({ text, rowMode: 'array' })) as { rows: T[] }, fetchRows);
}

async function* fromCursor<T>(c: SqlExecutor, name: string, sql: string, params: unknown[], fetchBatch: (text: string) => Promise<{ rows: T[] }>, fetchRows: number): AsyncGenerator<T> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error('not a cursor name');
  await c.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  const fetch = () => fetchBatch(`FETCH ${fetchRows} FROM ${name}`);
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
