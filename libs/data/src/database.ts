import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Anything that runs SQL: a pg client inside a transaction, or an ORM connection. */
export interface SqlExecutor {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/** Thrown when PostgreSQL cannot be reached; the API answers 503. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The database is unavailable', { cause });
  }
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300', '08000', '08003', '08006', '08001', '08004']);

export function isConnectionError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: string; message?: string };
  if (e.code && CONNECTION_ERROR_CODES.has(e.code)) return true;
  const msg = e.message ?? '';
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(msg);
}

/**
 * The application's own pool (role audit_app) for the hot paths written in
 * SQL: ingest, keyset pages, streaming. Every tenant statement runs inside
 * `tenant()`, which sets the transaction-local `app.account_id` that
 * row-level security checks.
 */
export class Database {
  readonly pool: Pool;

  /** `url` is kept for the few jobs that open a connection of their own (a verify worker thread). */
  constructor(
    readonly url: string,
    max = 20,
  ) {
    this.pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000, application_name: 'audit-trail' });
    // A client losing its connection (a database restart) must not crash the
    // process. The pool's own listener covers idle clients only; one checked
    // out gets its own, for good: its query fails instead and the request
    // answers 503.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw new DatabaseUnavailableError(err);
    }
  }

  /**
   * Run `fn` in a transaction scoped to one tenant: the one way every tenant
   * statement runs. Options: the person acting (`userId`), a snapshot that
   * must not move while a long read streams (`isolation: 'repeatable read'`,
   * `readOnly`), or another transaction's exported snapshot to share.
   */
  async tenant<T>(accountId: string, fn: (client: PoolClient) => Promise<T>, o: TenantOptions = {}): Promise<T> {
    const client = await this.connect();
    try {
      await client.query(beginTenantSql(accountId, o.userId, o));
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw isConnectionError(err) ? new DatabaseUnavailableError(err) : err;
    } finally {
      client.release();
    }
  }

  /**
   * Several tenants' statements in one transaction and one round trip (the
   * simple-query protocol: the statements are text, values escaped into
   * them): BEGIN, then per tenant its row-level-security setting and its
   * statement, then COMMIT. What group commit runs. Returns each statement's
   * results, in order.
   */
  async acrossTenants(parts: { accountId: string; sql: string }[]): Promise<QueryResult[]> {
    const text = [...parts.flatMap((p, i) => [i === 0 ? beginTenantSql(p.accountId) : setTenantSql(p.accountId), p.sql]), 'COMMIT'].join(';\n');
    const client = await this.connect();
    try {
      const raw = (await client.query(text)) as unknown as QueryResult | QueryResult[];
      return Array.isArray(raw) ? raw : [raw];
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * acrossTenants for rows sent as `COPY` text: BEGIN (creating the
   * session's temporary staging table if it has none: a connection pooler
   * may hand us another session), `COPY` the text into it, then per tenant
   * its row-level-security setting and its statements (which read the
   * staging table), then COMMIT. Three round trips; PostgreSQL decodes COPY
   * text at a fraction of what a JSON literal costs it.
   */
  async stagedAcrossTenants(stage: { create: string; copy: string; text: string }, parts: { accountId: string; sql: string }[]): Promise<QueryResult[]> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await client.query(`BEGIN; SET LOCAL client_min_messages = warning; ${stage.create}`);
      await pipeline(Readable.from([stage.text]), client.query(copyFrom(stage.copy)));
      const raw = (await client.query([...parts.flatMap((p) => [setTenantSql(p.accountId), p.sql]), 'COMMIT'].join(';\n'))) as unknown as QueryResult | QueryResult[];
      return Array.isArray(raw) ? raw : [raw];
    } catch (err) {
      // A connection that cannot even roll back (or was cut mid-COPY) is not given back to the pool.
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** One statement or a few outside any tenant (the SECURITY DEFINER look-ups made before the tenant is known). */
  async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await fn(client);
    } catch (err) {
      throw isConnectionError(err) ? new DatabaseUnavailableError(err) : err;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    const client = await this.connect();
    try {
      await client.query('SELECT 1');
    } finally {
      client.release();
    }
  }

  /** Idempotent: an application context closed twice (tests, double signals) must not throw. */
  async close(): Promise<void> {
    if (this.pool.ended || this.pool.ending) return;
    await this.pool.end();
  }
}

export interface TenantOptions {
  /** The person acting, for the statements that record who did it. */
  userId?: string;
  /** Default: PostgreSQL's read committed. */
  isolation?: 'read committed' | 'repeatable read';
  readOnly?: boolean;
  /** Share the snapshot another transaction exported (pg_export_snapshot()); implies repeatable read. */
  snapshot?: string;
}

const SNAPSHOT_RE = /^[0-9A-F]+-[0-9A-F]+-[0-9]+$/i;

/**
 * `BEGIN` (with the transaction's isolation and snapshot) plus the tenant
 * settings, in one round trip. Ids and the snapshot name are checked before
 * they are written into the statement.
 */
export function beginTenantSql(accountId: string, userId?: string, o: Omit<TenantOptions, 'userId'> = {}): string {
  if (o.snapshot !== undefined && !SNAPSHOT_RE.test(o.snapshot)) throw new Error('not a snapshot id');
  const isolation = o.snapshot !== undefined ? 'repeatable read' : o.isolation;
  const begin = `BEGIN${isolation ? ` ISOLATION LEVEL ${isolation.toUpperCase()}` : ''}${o.readOnly ? ' READ ONLY' : ''};`;
  const snapshot = o.snapshot !== undefined ? ` SET TRANSACTION SNAPSHOT '${o.snapshot}';` : '';
  return `${begin}${snapshot} ${setTenantSql(accountId, userId)}`;
}

/** The same settings for a connection that is already in a transaction. */
export function setTenantSql(accountId: string, userId?: string): string {
  if (!UUID_RE.test(accountId)) throw new Error('tenant id must be a uuid');
  if (userId !== undefined && !UUID_RE.test(userId)) throw new Error('user id must be a uuid');
  return `SELECT set_config('app.account_id', '${accountId}', true), set_config('app.user_id', '${userId ?? ''}', true)`;
}

/**
 * A PostgreSQL string literal: the same output as pg's escapeLiteral, but
 * with native replaces instead of a character loop (a 1,000-event batch is
 * ~0.5 MB of JSON).
 */
/** Wait at most this long for a lock in the current transaction (SET LOCAL lock_timeout). */
export async function setLockTimeout(exec: SqlExecutor, ms: number): Promise<void> {
  await exec.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(ms))}`);
}

export function escapeLiteral(s: string): string {
  const quoted = s.replace(/'/g, "''");
  if (!s.includes('\\')) return `'${quoted}'`;
  return ` E'${quoted.replace(/\\/g, '\\\\')}'`;
}
