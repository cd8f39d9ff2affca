import type { EventRecord } from '@audit-trail/audit-core';
import {
  type Database,
  DatabaseUnavailableError,
  escapeLiteral,
  EVENT_STAGING,
  eventCopyText,
  insertEvents,
  insertEventsSql,
  insertStagedEventsSql,
  isConnectionError,
  isMissingPartition,
  PartitionCache,
  type SqlExecutor,
} from '@audit-trail/data';

/**
 * PostgreSQL refused one request's events for what they hold (SQLSTATE class
 * 22, data exception; 23, a constraint): the request's fault, answered 422.
 * The input checks at the edge should leave nothing that gets here.
 */
export class EventDataRejectedError extends Error {
  constructor(cause: unknown) {
    super(`PostgreSQL refused the events: ${(cause as Error)?.message ?? 'data exception'}`, { cause });
  }
}

function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * The platform's records inside a transaction someone else owns: always
 * `source: platform`, their month's partition made sure of first. The
 * writer's writeInTransaction and the sealer (which has no writer) share it.
 */
export async function writePlatformEvents(exec: SqlExecutor, accountId: string, records: EventRecord[], partitions = new PartitionCache()): Promise<void> {
  for (const r of records) r.source = 'platform';
  await partitions.ensure(exec, records.map((r) => r.occurred_at));
  await insertEvents(exec, accountId, records);
}

/**
 * From how many events a flush is COPYed through the staging table. Below
 * it the three round trips and the temporary table's truncation at commit
 * cost more than PostgreSQL saves decoding COPY text instead of JSON.
 */
export const STAGE_FROM = 100;

interface Pending {
  accountId: string;
  records: EventRecord[];
  resolve: (ids: string[]) => void;
  reject: (err: unknown) => void;
}

export interface EventWriterOptions {
  /** Flushes that may run at once (each holds one connection). */
  maxConcurrentFlushes?: number;
  /** Upper bound of events in one flush. */
  maxEventsPerFlush?: number;
  /** Called after each commit with the number of events stored. */
  onCommitted?: (count: number) => void;
}

/**
 * Writes events with group commit. A request hands its events over and waits;
 * while a flush is running, newly arrived requests queue up and the next
 * flush stores them all in one transaction (one WAL flush), per tenant with
 * that tenant's row-level-security setting: from STAGE_FROM events one COPY
 * of the whole batch into a staging table and one INSERT … SELECT per tenant,
 * below it one round trip with each tenant's batch as a JSON literal. Nobody
 * is answered before their events are committed.
 */
export class EventWriter {
  private queue: Pending[] = [];
  private running = 0;
  private readonly partitions = new PartitionCache();
  private readonly maxConcurrent: number;
  private readonly maxEvents: number;

  constructor(
    private readonly db: Database,
    private readonly options: EventWriterOptions = {},
  ) {
    this.maxConcurrent = options.maxConcurrentFlushes ?? 2;
    this.maxEvents = options.maxEventsPerFlush ?? 2000;
  }

  /**
   * Store one tenant's ingested events; resolves with the stored id of each,
   * in order. Everything that comes this way is `source: api`, whatever the
   * records say: only the platform's own paths (writePlatform,
   * writeInTransaction, writePlatformEvents) produce `platform`.
   */
  write(accountId: string, records: EventRecord[]): Promise<string[]> {
    for (const r of records) r.source = 'api';
    return this.enqueue(accountId, records);
  }

  /**
   * The platform's own records that need no transaction of their own (reads
   * of the log): stored `source: platform` through the same group commit,
   * so recording a read costs the reader a share of one flush.
   */
  writePlatform(accountId: string, records: EventRecord[]): Promise<string[]> {
    for (const r of records) r.source = 'platform';
    return this.enqueue(accountId, records);
  }

  private enqueue(accountId: string, records: EventRecord[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ accountId, records, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.maxConcurrent && this.queue.length > 0) {
      const batch: Pending[] = [];
      let n = 0;
      while (this.queue.length > 0 && (batch.length === 0 || n + this.queue[0].records.length <= this.maxEvents)) {
        const item = this.queue.shift() as Pending;
        n += item.records.length;
        batch.push(item);
      }
      this.running++;
      void this.flush(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      const results = await this.commit(batch);
      batch.forEach((item, i) => item.resolve(results[i]));
      this.options.onCommitted?.(batch.reduce((s, b) => s + b.records.length, 0));
    } catch (err) {
      if (isConnectionError(err) || err instanceof DatabaseUnavailableError) {
        const e = err instanceof DatabaseUnavailableError ? err : new DatabaseUnavailableError(err);
        for (const item of batch) item.reject(e);
        return;
      }
      if (batch.length === 1) {
        batch[0].reject(isDataError(err) ? new EventDataRejectedError(err) : err);
        return;
      }
      // One request's statement failed and rolled back everyone's: store the
      // halves apart, so only the culprit fails and every other request (and
      // tenant) that shared this flush is committed.
      const mid = Math.ceil(batch.length / 2);
      await this.flush(batch.slice(0, mid));
      await this.flush(batch.slice(mid));
    }
  }

  private async commit(batch: Pending[], retried = false): Promise<string[][]> {
    const instants = batch.flatMap((b) => b.records.map((r) => r.occurred_at));
    if (this.partitions.needs(instants)) await this.db.withClient((c) => this.partitions.ensure(c, instants));
    const byAccount = new Map<string, Pending[]>();
    for (const item of batch) {
      const list = byAccount.get(item.accountId) ?? [];
      list.push(item);
      byAccount.set(item.accountId, list);
    }
    // One transaction. A large flush: the whole batch COPYed into the staging
    // table, then per tenant its RLS setting and its INSERT … SELECT of its own
    // rows. A small one: one round trip, per tenant its batch as a JSON literal.
    const events = batch.reduce((n, b) => n + b.records.length, 0);
    const staged = events >= STAGE_FROM;
    const keyed = [...byAccount].map(([accountId, items]) => ({
      accountId,
      items,
      ...(staged ? insertStagedEventsSql(accountId, items.some((i) => i.records.some((r) => r.idempotency_key !== null))) : insertEventsSql(items.flatMap((i) => i.records), escapeLiteral, accountId)),
    }));
    let results;
    try {
      const parts = keyed.map((k) => ({ accountId: k.accountId, sql: k.sql }));
      results = staged ? await this.db.stagedAcrossTenants({ ...EVENT_STAGING, text: eventCopyText(batch.flatMap((b) => b.records)) }, parts) : await this.db.acrossTenants(parts);
    } catch (err) {
      if (!retried && isMissingPartition(err)) {
        // A partition was dropped (retention) since we cached it: look again.
        this.partitions.reset();
        return this.commit(batch, true);
      }
      throw err;
    }
    const keyRows = results.filter((r) => r.fields?.some((f) => f.name === 'event_id')).map((r) => r.rows as { idempotency_key: string; event_id: string }[]);
    const out = new Map<Pending, string[]>();
    let k = 0;
    for (const group of keyed) {
      const map = group.returnsKeys ? new Map(keyRows[k++].map((r) => [r.idempotency_key, r.event_id])) : new Map<string, string>();
      for (const item of group.items) {
        out.set(item, item.records.map((r) => (r.idempotency_key ? (map.get(r.idempotency_key) ?? r.id) : r.id)));
      }
    }
    return batch.map((b) => out.get(b) as string[]);
  }

  /**
   * The platform's own writer: insert inside a transaction someone else owns
   * (self-audit next to the change it records). Every record is `source: platform`.
   */
  async writeInTransaction(exec: SqlExecutor, accountId: string, records: EventRecord[]): Promise<void> {
    await writePlatformEvents(exec, accountId, records, this.partitions);
  }

  /** Wait for everything queued to be committed (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.running > 0 || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
  }
}
