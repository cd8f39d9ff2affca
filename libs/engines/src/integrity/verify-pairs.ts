import { type ApiEvent, type EventRecord, type LeafVersion, leafHashHex } from '@audit-trail/audit-core';
import type { ClientBase } from 'pg';
import { eventSelectList, isoTime } from '@audit-trail/data';

/** A finding of `verify`: the event (or position) and what is wrong with it. */
export interface BadEvent {
  event_id: string | null;
  seq: number | null;
  occurred_at: string | null;
  reason: string;
}

/** The events as the API shows them, the two times already printed. */
const SELECT_API = eventSelectList({ isoTimes: true, apiOnly: true });
type ApiRow = Omit<EventRecord, 'occurred_at' | 'received_at' | 'idempotency_key'> & { occurred_at: string; received_at: string };
const FETCH = 10_000;
/** Memory for the join of one log's leaves and events (about 300 bytes a row). */
const VERIFY_WORK_MEM = '512MB';

/** A cursor read in batches, the next batch asked for while this one is processed. */
export async function* fetchAll<T extends object>(c: ClientBase, name: string, sql: string, params: unknown[]): AsyncGenerator<T> {
  await c.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  const fetch = () => c.query(`FETCH ${FETCH} FROM ${name}`) as unknown as Promise<{ rows: T[] }>;
  let pending: Promise<{ rows: T[] }> | null = fetch();
  try {
    while (pending) {
      const batch: { rows: T[] } = await pending;
      pending = batch.rows.length === FETCH ? fetch() : null;
      for (const r of batch.rows) yield r;
    }
  } finally {
    // Stopped early (an error downstream): let the fetch in flight settle before the connection is reused.
    if (pending) await pending.catch(() => undefined);
  }
  await c.query(`CLOSE ${name}`);
}

export interface PairsArgs {
  accountId: string;
  workspaceId: string | null;
  logId: string;
  from: string;
  to: string;
  /** These shares of the leaves (by a hash of the event id), of `parts`. */
  shares: number[];
  parts: number;
}

export interface PairsResult {
  /** Events found for their leaves. */
  checked: number;
  bad: BadEvent[];
  /** Leaves of the range whose event is not there (deleted, moved, or purged). */
  missing: { seq: number; event_id: string; occurred_at: string }[];
}

/**
 * One share of the leaves of [from, to] each with its event, paired by a hash
 * join in PostgreSQL; an event that no longer hashes to its leaf was changed.
 * Runs in the caller's read-only transaction (its snapshot and tenant), so
 * shares can be checked on several connections at once.
 */
export async function checkPairs(c: ClientBase, a: PairsArgs): Promise<PairsResult> {
  // Every row will be read: plan a hash join over the whole log. (With the
  // row-level-security filter the planner expects few leaves and would pick
  // a nested loop, one index probe per leaf.) The join holds one log's
  // events in memory rather than in batches on disk.
  await c.query(`SET LOCAL cursor_tuple_fraction = 1.0; SET LOCAL enable_nestloop = off; SET LOCAL work_mem = '${VERIFY_WORK_MEM}'`);
  const logCond = a.workspaceId ? 'workspace_id = $2' : '(workspace_id IS NULL AND $2::uuid IS NULL)';
  const share = (col: string) => (a.parts > 1 ? ` AND abs(hashtext(${col}::text)) % $6 = ANY($7::int[])` : ' AND $6::int > 0 AND cardinality($7::int[]) > 0');
  const result: PairsResult = { checked: 0, bad: [], missing: [] };
  for await (const r of fetchAll<ApiRow & { l_seq: string; l_event_id: string; l_occurred_at: string; l_hash: string; l_version: LeafVersion }>(
    c,
    `pairs_${a.shares.join('_')}`,
    `SELECT l.seq AS l_seq, l.event_id AS l_event_id, ${isoTime('l.occurred_at')} AS l_occurred_at, encode(l.leaf_hash, 'hex') AS l_hash, l.leaf_version AS l_version, e.*
     FROM integrity_leaves l
     LEFT JOIN (SELECT ${SELECT_API} FROM audit_events WHERE account_id = $1 AND ${logCond} AND occurred_at >= $3 AND occurred_at < $4${share('id')}) e ON e.id = l.event_id
     WHERE l.log_id = $5 AND l.occurred_at >= $3 AND l.occurred_at < $4${share('l.event_id')}`,
    [a.accountId, a.workspaceId, a.from, a.to, a.logId, a.parts, a.shares],
  )) {
    if (r.id === null) {
      result.missing.push({ seq: Number(r.l_seq), event_id: r.l_event_id, occurred_at: r.l_occurred_at });
      continue;
    }
    result.checked++;
    if (leafHashHex(r as unknown as ApiEvent, r.l_version) !== r.l_hash) {
      result.bad.push({ event_id: r.id, seq: Number(r.l_seq), occurred_at: r.occurred_at, reason: 'this event was changed after it was sealed: it no longer matches its leaf hash' });
    }
  }
  return result;
}
