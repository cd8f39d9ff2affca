import type { EventFilter, EventRecord, ViewerSlice } from '@audit-trail/audit-core';
import type { SqlExecutor } from '../database';

/** Columns in table order; json_populate_recordset maps the records' keys onto them. */
export const EVENT_COLUMNS = [
  'account_id', 'id', 'workspace_id', 'occurred_at', 'received_at', 'action', 'category', 'actor_type',
  'actor_id', 'actor_email', 'actor_name', 'target_type', 'target_id', 'target_name', 'ip', 'user_agent',
  'outcome', 'metadata', 'changes', 'idempotency_key', 'source', 'api_key_id',
] as const;

/** A timestamp as Date#toISOString prints it (UTC, milliseconds truncated as node-pg's parser truncates). */
export const isoTime = (expr: string) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The select list of an event row, the address as text: every read of events
 * uses it. `isoTimes`: the two times already printed as the API prints them
 * (no Date parsed and printed again per row); `apiOnly`: without the
 * idempotency key, which the API never shows.
 */
export function eventSelectList(opts: { isoTimes?: boolean; apiOnly?: boolean } = {}): string {
  return EVENT_COLUMNS.filter((c) => !(opts.apiOnly && c === 'idempotency_key'))
    .map((c) => (c === 'ip' ? 'host(ip) AS ip' : opts.isoTimes && (c === 'occurred_at' || c === 'received_at') ? `${isoTime(c)} AS ${c}` : c))
    .join(', ');
}

/** The columns of an event as stored, the address as text. */
export const EVENT_SELECT_LIST = eventSelectList();
const SELECT_COLUMNS = EVENT_SELECT_LIST;

/**
 * The INSERT of events as JSON: inside someone else's transaction (the
 * platform's own records) and for group commit's small flushes. `input` is
 * an SQL expression for the batch as JSON (a parameter or an escaped literal). With idempotency
 * keys, a key seen before claims nothing and its event is not inserted; the
 * second statement then says which stored id each key points to.
 */
function eventInsertStatements(input: string, keyLookup: { accountId: string; keys: string } | null): { insert: string; keyLookup: string | null } {
  const cols = EVENT_COLUMNS.join(', ');
  const rows = `SELECT ${cols} FROM json_populate_recordset(NULL::audit_events, ${input}::json)`;
  if (!keyLookup) return { insert: `INSERT INTO audit_events (${cols}) ${rows}`, keyLookup: null };
  return {
    insert:
      `WITH input AS (${rows}), ` +
      `claimed AS (INSERT INTO event_idempotency (account_id, key, event_id, occurred_at) ` +
      `SELECT account_id, idempotency_key, id, occurred_at FROM input WHERE idempotency_key IS NOT NULL ` +
      `ON CONFLICT (account_id, key) DO NOTHING RETURNING event_id) ` +
      `INSERT INTO audit_events (${cols}) SELECT * FROM input WHERE idempotency_key IS NULL OR id IN (SELECT event_id FROM claimed)`,
    keyLookup: `SELECT key AS idempotency_key, event_id FROM event_idempotency WHERE account_id = ${keyLookup.accountId} AND key = ANY(${keyLookup.keys}::text[])`,
  };
}

const keysOf = (records: EventRecord[]) => records.filter((r) => r.idempotency_key !== null).map((r) => r.idempotency_key as string);

/**
 * The statements that store one tenant's batch, as text with the batch as an
 * escaped literal, so a flush of several tenants is one round trip in the
 * simple-query protocol. When the batch has idempotency keys, a last SELECT
 * returns (idempotency_key, event_id) for each of them. Group commit uses it
 * for small flushes (single events, recorded reads), where one round trip
 * costs less than the staging table's three.
 */
export function insertEventsSql(records: EventRecord[], escapeLiteral: (s: string) => string, accountId: string): { sql: string; returnsKeys: boolean } {
  const keys = keysOf(records);
  const lookup = keys.length ? { accountId: escapeLiteral(accountId), keys: `ARRAY[${keys.map((k) => escapeLiteral(k)).join(', ')}]` } : null;
  const st = eventInsertStatements(escapeLiteral(JSON.stringify(records)), lookup);
  return { sql: st.keyLookup ? `${st.insert}; ${st.keyLookup}` : st.insert, returnsKeys: st.keyLookup !== null };
}

/**
 * Group commit's path: the batch as `COPY` text into a temporary staging
 * table (the event columns, no constraints, emptied at every commit), then
 * per tenant one INSERT … SELECT from it under that tenant's row-level
 * security. PostgreSQL decodes COPY text for a fraction of what
 * json_populate_recordset costs it, and a keyed batch reads its keys from
 * the staging table instead of a second copy of the batch.
 */
export const EVENT_STAGING = {
  create: `CREATE TEMP TABLE IF NOT EXISTS audit_events_in ON COMMIT DELETE ROWS AS SELECT ${EVENT_COLUMNS.join(', ')} FROM audit_events WITH NO DATA`,
  copy: `COPY audit_events_in (${EVENT_COLUMNS.join(', ')}) FROM STDIN`,
};

/** One field in COPY's text format: \N for null; backslash, tab, newline and carriage return escaped. */
function copyField(v: string | null): string {
  if (v === null) return '\\N';
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

/** The records as COPY text rows, in EVENT_COLUMNS order. */
export function eventCopyText(records: EventRecord[]): string {
  let out = '';
  for (const r of records) {
    out +=
      `${r.account_id}\t${r.id}\t${copyField(r.workspace_id)}\t${r.occurred_at.toISOString()}\t${r.received_at.toISOString()}\t${copyField(r.action)}\t${copyField(r.category)}\t${copyField(r.actor_type)}\t` +
      `${copyField(r.actor_id)}\t${copyField(r.actor_email)}\t${copyField(r.actor_name)}\t${copyField(r.target_type)}\t${copyField(r.target_id)}\t${copyField(r.target_name)}\t${copyField(r.ip)}\t${copyField(r.user_agent)}\t` +
      `${copyField(r.outcome)}\t${copyField(r.metadata === null ? null : JSON.stringify(r.metadata))}\t${copyField(r.changes === null ? null : JSON.stringify(r.changes))}\t${copyField(r.idempotency_key)}\t${copyField(r.source)}\t${copyField(r.api_key_id)}\n`;
  }
  return out;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One tenant's statements over the staging table (its rows only): the
 * INSERT, and with idempotency keys first the claim and then, as a last
 * SELECT, which stored id each key of the batch points to.
 */
export function insertStagedEventsSql(accountId: string, keyed: boolean): { sql: string; returnsKeys: boolean } {
  if (!UUID_RE.test(accountId)) throw new Error('tenant id must be a uuid');
  const cols = EVENT_COLUMNS.join(', ');
  const mine = `account_id = '${accountId}'`;
  if (!keyed) return { sql: `INSERT INTO audit_events (${cols}) SELECT ${cols} FROM audit_events_in WHERE ${mine}`, returnsKeys: false };
  return {
    sql:
      `WITH claimed AS (INSERT INTO event_idempotency (account_id, key, event_id, occurred_at) ` +
      `SELECT account_id, idempotency_key, id, occurred_at FROM audit_events_in WHERE ${mine} AND idempotency_key IS NOT NULL ` +
      `ON CONFLICT (account_id, key) DO NOTHING RETURNING event_id) ` +
      `INSERT INTO audit_events (${cols}) SELECT ${cols} FROM audit_events_in WHERE ${mine} AND (idempotency_key IS NULL OR id IN (SELECT event_id FROM claimed));\n` +
      `SELECT s.idempotency_key, i.event_id FROM audit_events_in s JOIN event_idempotency i ON i.account_id = s.account_id AND i.key = s.idempotency_key WHERE s.${mine} AND s.idempotency_key IS NOT NULL`,
    returnsKeys: true,
  };
}

/**
 * Insert a batch of one tenant's events inside the caller's transaction (the
 * same statements, with parameters). The map says which stored id each
 * idempotency key points to.
 */
export async function insertEvents(exec: SqlExecutor, accountId: string, records: EventRecord[]): Promise<Map<string, string>> {
  const keys = keysOf(records);
  const st = eventInsertStatements('$1', keys.length ? { accountId: '$1', keys: '$2' } : null);
  await exec.query(st.insert, [JSON.stringify(records)]);
  if (!st.keyLookup) return new Map();
  const { rows } = await exec.query<{ idempotency_key: string; event_id: string }>(st.keyLookup, [accountId, keys]);
  return new Map(rows.map((r) => [r.idempotency_key, r.event_id]));
}

export interface LogSelector {
  /** `account`: the account log; `workspace`: the given workspaces' logs (null = every workspace); `all`: every log of the account. */
  scope: 'account' | 'workspace' | 'all';
  workspaceIds: string[] | null;
}

export interface PageRequest {
  filter: Omit<EventFilter, 'scope' | 'workspace_id'>;
  log: LogSelector;
  /** Lower bound after the plan's window was applied. */
  from: Date | null;
  to: Date | null;
  after: { occurredAt: string; id: string } | null;
  limit: number;
  /** A viewer token's slice: every field given must match, whatever the filter says. */
  slice?: ViewerSlice;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (m) => `\\${m}`);
}

/** WHERE clause and parameters for a filtered read of one tenant's log. */
export function buildEventWhere(accountId: string, req: Omit<PageRequest, 'limit' | 'after'>, params: unknown[] = []): { where: string; params: unknown[] } {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const actionClause = (actions: string[]) => {
    const exact = actions.filter((a) => !a.endsWith('*'));
    const prefixes = actions.filter((a) => a.endsWith('*')).map((a) => `${escapeLike(a.slice(0, -1))}%`);
    const ors: string[] = [];
    if (exact.length) ors.push(`action = ANY(${p(exact)}::text[])`);
    if (prefixes.length) ors.push(`action LIKE ANY(${p(prefixes)}::text[])`);
    return ors.length === 1 ? ors[0] : `(${ors.join(' OR ')})`;
  };
  const clauses = [`account_id = ${p(accountId)}`];
  if (req.log.scope === 'all') {
    /* every log of the account */
  } else if (req.log.scope === 'account') clauses.push('workspace_id IS NULL');
  else if (req.log.workspaceIds === null) clauses.push('workspace_id IS NOT NULL');
  else if (req.log.workspaceIds.length === 1) clauses.push(`workspace_id = ${p(req.log.workspaceIds[0])}`);
  else clauses.push(`workspace_id = ANY(${p(req.log.workspaceIds)}::uuid[])`);
  const f = req.filter;
  if (req.from) clauses.push(`occurred_at >= ${p(req.from.toISOString())}`);
  if (req.to) clauses.push(`occurred_at <= ${p(req.to.toISOString())}`);
  if (f.action?.length) clauses.push(actionClause(f.action));
  // A viewer's slice is ANDed with the filter: a query can narrow it, never widen it.
  const s = req.slice;
  if (s?.actions?.length) clauses.push(actionClause(s.actions));
  if (s?.actor_id) clauses.push(`actor_id = ${p(s.actor_id)}`);
  if (s?.target_type) clauses.push(`target_type = ${p(s.target_type)}`);
  if (s?.target_id) clauses.push(`target_id = ${p(s.target_id)}`);
  if (f.category?.length) clauses.push(`category = ANY(${p(f.category)}::text[])`);
  if (f.actor_id) clauses.push(`actor_id = ${p(f.actor_id)}`);
  if (f.actor_email) clauses.push(`actor_email = ${p(f.actor_email.toLowerCase())}`);
  if (f.ip) clauses.push(f.ip.includes('/') ? `ip <<= ${p(f.ip)}::inet` : `ip = ${p(f.ip)}::inet`);
  if (f.target_type) clauses.push(`target_type = ${p(f.target_type)}`);
  if (f.target_id) clauses.push(`target_id = ${p(f.target_id)}`);
  if (f.outcome) clauses.push(`outcome = ${p(f.outcome)}`);
  if (f.outcome_not) clauses.push(`outcome <> ${p(f.outcome_not)}`);
  if (f.source) clauses.push(`source = ${p(f.source)}`);
  if (f.api_key_id) clauses.push(`api_key_id = ${p(f.api_key_id)}::uuid`);
  if (f.q) {
    const like = p(`%${escapeLike(f.q)}%`);
    clauses.push(
      `(action ILIKE ${like} OR actor_id ILIKE ${like} OR actor_email ILIKE ${like} OR actor_name ILIKE ${like}` +
        ` OR target_type ILIKE ${like} OR target_id ILIKE ${like} OR target_name ILIKE ${like} OR metadata::text ILIKE ${like})`,
    );
  }
  return { where: clauses.join(' AND '), params };
}

interface EventRow extends Omit<EventRecord, 'idempotency_key'> {
  idempotency_key?: string | null;
}

/** One keyset page, newest first; one extra row tells whether there is a next page. */
export async function queryEvents(exec: SqlExecutor, accountId: string, req: PageRequest): Promise<{ rows: EventRecord[]; hasMore: boolean }> {
  const { where, params } = buildEventWhere(accountId, req);
  let sql = `SELECT ${SELECT_COLUMNS} FROM audit_events WHERE ${where}`;
  if (req.after) {
    params.push(req.after.occurredAt, req.after.id);
    sql += ` AND (occurred_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  params.push(req.limit + 1);
  sql += ` ORDER BY occurred_at DESC, id DESC LIMIT $${params.length}`;
  const { rows } = await exec.query<EventRow>(sql, params);
  const hasMore = rows.length > req.limit;
  return { rows: (hasMore ? rows.slice(0, req.limit) : rows) as EventRecord[], hasMore };
}

/** One event by id. The id's UUIDv7 time is its occurred_at, which finds the partition. */
export async function findEvent(exec: SqlExecutor, accountId: string, id: string, occurredAt: Date): Promise<EventRecord | null> {
  const { rows } = await exec.query<EventRow>(
    `SELECT ${SELECT_COLUMNS} FROM audit_events WHERE account_id = $1 AND occurred_at = $2 AND id = $3`,
    [accountId, occurredAt.toISOString(), id],
  );
  return (rows[0] as EventRecord | undefined) ?? null;
}

/**
 * Events per hour or day of one filtered log, every bucket present (zero when
 * empty). Buckets start at midnight or the full hour of `timeZone`, so a day
 * is the viewer's day. Runs inside the caller's transaction (the zone is set
 * for it alone).
 */
export async function countByInterval(
  exec: SqlExecutor,
  accountId: string,
  req: Omit<PageRequest, 'limit' | 'after'> & { from: Date; to: Date },
  interval: 'hour' | 'day',
  timeZone: string,
): Promise<{ start: Date; count: number }[]> {
  await exec.query("SELECT set_config('TimeZone', $1, true)", [timeZone]);
  const { where, params } = buildEventWhere(accountId, req);
  params.push(interval, `1 ${interval}`, req.from.toISOString(), req.to.toISOString());
  const [unit, step, from, to] = [params.length - 3, params.length - 2, params.length - 1, params.length].map((i) => `$${i}`);
  const { rows } = await exec.query<{ start: Date; count: string }>(
    `WITH counts AS (
       SELECT date_trunc(${unit}, occurred_at) AS start, count(*) AS n FROM audit_events WHERE ${where} GROUP BY 1
     )
     SELECT s.start, coalesce(c.n, 0)::bigint AS count
     FROM generate_series(date_trunc(${unit}, ${from}::timestamptz), ${to}::timestamptz, ${step}::interval) AS s(start)
     LEFT JOIN counts c USING (start) ORDER BY s.start`,
    params,
  );
  return rows.map((r) => ({ start: r.start, count: Number(r.count) }));
}

/**
 * Events per category and action for the catalog, over the logs the caller
 * may read: the account log when `account`, and the workspaces listed
 * (`null`: every workspace).
 */
export async function countByAction(
  exec: SqlExecutor,
  accountId: string,
  since: Date | null,
  logs: { account: boolean; workspaceIds: string[] | null } = { account: true, workspaceIds: null },
): Promise<{ action: string; category: string; count: number }[]> {
  const { rows } = await exec.query<{ action: string; category: string; count: string }>(
    `SELECT action, category, count(*)::bigint AS count FROM audit_events
     WHERE account_id = $1 AND ($2::timestamptz IS NULL OR occurred_at >= $2)
       AND ((workspace_id IS NULL AND $3::boolean) OR (workspace_id IS NOT NULL AND ($4::uuid[] IS NULL OR workspace_id = ANY($4::uuid[]))))
     GROUP BY action, category`,
    [accountId, since?.toISOString() ?? null, logs.account, logs.workspaceIds],
  );
  return rows.map((r) => ({ action: r.action, category: r.category, count: Number(r.count) }));
}

/** A position in one log's commit order: the storing transaction, then the event id. */
export interface LogPosition {
  txid: string | null;
  id: string | null;
}

/**
 * The next events of one log (the account log, or one workspace's) after a
 * position, in commit order, and only from transactions older than every
 * transaction still running: an event that commits late can never appear
 * behind a position already passed. Forwarding and sealing both walk logs so.
 */
export async function eventsAfter(exec: SqlExecutor, accountId: string, workspaceId: string | null, after: LogPosition, limit: number): Promise<(EventRecord & { txid: string })[]> {
  const log = workspaceId ? 'workspace_id = $2' : '(workspace_id IS NULL AND $2::uuid IS NULL)';
  // The planner cannot estimate the row comparison on xid8 and would sort every
  // matching row for a LIMIT; with sorting off it merges the partitions'
  // (account_id, workspace_id, txid, id) indexes in order and stops at the limit
  // (measured on 1M events of one transaction: 1.6 s → 30 ms). ORDER BY starts
  // with workspace_id (constant here) so the index order matches for the account
  // log too, and names the table's columns, not the text `txid` of the select list.
  await exec.query('SET LOCAL enable_sort = off');
  const { rows } = await exec.query<EventRecord & { txid: string }>(
    `SELECT ${SELECT_COLUMNS}, txid::text AS txid FROM audit_events
     WHERE account_id = $1 AND ${log}
       AND (txid, id) > ($3::text::xid8, $4::uuid)
       AND txid < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY audit_events.workspace_id, audit_events.txid, audit_events.id LIMIT $5`,
    [accountId, workspaceId, after.txid ?? '0', after.id ?? '00000000-0000-0000-0000-000000000000', limit],
  );
  await exec.query('SET LOCAL enable_sort = on');
  return rows;
}
