import { BATCH_LIMIT, buildRequest, type DestinationFilter, type DestinationFormat, type DestinationType, type EventRecord, matchesFilter, newId, toApiEvent } from '@audit-trail/audit-core';
import type { PoolClient } from 'pg';
import type { Database, SqlExecutor } from '@audit-trail/data';
import { EVENT_COLUMNS, eventsAfter } from '@audit-trail/data';
import { post, type HttpResult } from './safe-http';
import type { SecretBox } from './secret-box';

/** A destination row as the delivery engine reads it. */
export interface DestinationRow {
  id: string;
  account_id: string;
  type: DestinationType;
  name: string;
  url: string;
  format: DestinationFormat;
  scope: 'account' | 'workspace';
  workspace_id: string | null;
  filter: DestinationFilter;
  enabled: boolean;
  secret_enc: string | null;
  previous_secret_enc: string | null;
  previous_secret_until: Date | null;
  cursor_txid: string | null;
  cursor_id: string | null;
  failing_since: Date | null;
  failures: number;
  deleted_at: Date | null;
}

export interface DeliveryOptions {
  box: SecretBox;
  allowPrivate: boolean;
  timeoutMs?: number;
  /** First retry delay; doubles per failure up to an hour, with jitter. */
  backoffBaseMs?: number;
  /** A destination failing for this long is disabled. */
  giveUpMs?: number;
  now?: () => Date;
}

export type DeliveryOutcome =
  | { kind: 'idle' }
  | { kind: 'delivered'; events: number; more: boolean }
  | { kind: 'failed'; status: number | null; error: string; retryAt: Date }
  | { kind: 'disabled'; reason: string }
  | { kind: 'skipped' };

const SELECT = EVENT_COLUMNS.map((c) => (c === 'ip' ? 'host(ip) AS ip' : c)).join(', ');
const HOUR = 3_600_000;

/** The signing secrets in use: the current one, and the previous one while a rotation overlaps. */
export function activeSecrets(d: Pick<DestinationRow, 'secret_enc' | 'previous_secret_enc' | 'previous_secret_until'>, box: SecretBox, now: Date): string[] {
  const out: string[] = [];
  if (d.secret_enc) out.push(box.open(d.secret_enc));
  if (d.previous_secret_enc && d.previous_secret_until && d.previous_secret_until > now) out.push(box.open(d.previous_secret_enc));
  return out;
}

export async function loadDestination(db: Database, accountId: string, id: string): Promise<DestinationRow | null> {
  return db.tenant(accountId, async (c) => (await c.query<DestinationRow>('SELECT * FROM destinations WHERE id = $1', [id])).rows[0] ?? null);
}

/**
 * The position a new destination starts from: after every transaction that
 * finished before it was created (history is what replay is for).
 */
export async function startingCursor(c: SqlExecutor): Promise<{ txid: string; id: string }> {
  const { rows } = await c.query<{ x: string }>(`SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1)::text AS x`);
  return { txid: rows[0].x, id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };
}

type Row = EventRecord & { txid: string };

/** The next events of a destination's log after its cursor. */
function nextEvents(c: PoolClient, d: DestinationRow, limit: number): Promise<Row[]> {
  return eventsAfter(c, d.account_id, d.workspace_id, { txid: d.cursor_txid, id: d.cursor_id }, limit);
}

function backoffMs(failures: number, base: number): number {
  const exp = Math.min(HOUR, base * 2 ** Math.max(0, failures - 1));
  return Math.round(exp * (0.5 + Math.random() * 0.5));
}

async function ledger(c: PoolClient, d: DestinationRow, events: { id: string }[], r: HttpResult | null, extra: { replayId?: string; test?: boolean; error?: string } = {}) {
  await c.query(
    `INSERT INTO destination_deliveries (id, account_id, destination_id, first_event_id, last_event_id, event_count, status_code, latency_ms, error, replay_id, test)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [newId(), d.account_id, d.id, events[0]?.id ?? null, events.at(-1)?.id ?? null, events.length, r?.status ?? null, r?.latencyMs ?? 0, extra.error ?? r?.error ?? null, extra.replayId ?? null, extra.test ?? false],
  );
}

const ok = (r: HttpResult) => r.status !== null && r.status >= 200 && r.status < 300;
const describe = (r: HttpResult) => r.error ?? `HTTP ${r.status}${r.body ? `: ${r.body.slice(0, 200)}` : ''}`;

/** Record a failed attempt: back off, or disable after a 410 or a day of failures. */
async function recordFailure(db: Database, d: DestinationRow, events: { id: string }[], r: HttpResult, o: Required<Omit<DeliveryOptions, 'box' | 'allowPrivate'>>, replayId?: string): Promise<DeliveryOutcome> {
  const now = o.now();
  const failingSince = d.failing_since ?? now;
  const gone = r.status === 410;
  const tooLong = now.getTime() - failingSince.getTime() >= o.giveUpMs;
  const failures = d.failures + 1;
  const retryAt = new Date(now.getTime() + backoffMs(failures, o.backoffBaseMs));
  const reason = gone ? 'The receiver answered 410 Gone.' : `Deliveries failed for ${Math.round((now.getTime() - failingSince.getTime()) / HOUR)} hours; last error: ${describe(r)}`;
  await db.tenant(d.account_id, async (c) => {
    await ledger(c, d, events, r, { replayId });
    // Counted and dated in SQL: a row changed since this attempt read it keeps
    // its own first failure and count rather than this attempt's stale copy.
    await c.query(
      `UPDATE destinations SET failures = failures + 1, failing_since = COALESCE(failing_since, $2), next_attempt_at = $3, last_error = $4,
              enabled = CASE WHEN $5 THEN false ELSE enabled END, disabled_reason = CASE WHEN $5 THEN $6 ELSE disabled_reason END, updated_at = now()
       WHERE id = $1`,
      [d.id, now, retryAt, describe(r).slice(0, 1000), gone || tooLong, reason],
    );
  });
  if (gone || tooLong) return { kind: 'disabled', reason };
  return { kind: 'failed', status: r.status, error: describe(r), retryAt };
}

function withDefaults(o: DeliveryOptions): Required<Omit<DeliveryOptions, 'box' | 'allowPrivate'>> {
  return { timeoutMs: o.timeoutMs ?? 10_000, backoffBaseMs: o.backoffBaseMs ?? 1000, giveUpMs: o.giveUpMs ?? 24 * HOUR, now: o.now ?? (() => new Date()) };
}

/**
 * Deliver the next batch of a destination's live stream: read after the
 * cursor, skip what the filter leaves out, send up to the receiver's batch
 * size, and move the cursor only after a 2xx. A repeat (two workers, a
 * crash before the cursor moved) sends the same events again: at least once.
 */
export async function deliverNext(db: Database, accountId: string, destinationId: string, opts: DeliveryOptions): Promise<DeliveryOutcome> {
  const o = withDefaults(opts);
  const d = await loadDestination(db, accountId, destinationId);
  if (!d || !d.enabled || d.deleted_at) return { kind: 'skipped' };
  const limit = BATCH_LIMIT[d.type];
  const scan = Math.max(limit, 500);
  for (;;) {
    const rows = await db.tenant(accountId, (c) => nextEvents(c, d, scan));
    if (rows.length === 0) return { kind: 'idle' };
    const picked: Row[] = [];
    let last = rows[rows.length - 1];
    for (const r of rows) {
      if (matchesFilter(r, d.filter)) {
        picked.push(r);
        if (picked.length === limit) {
          last = r;
          break;
        }
      }
    }
    if (picked.length === 0) {
      // Nothing here for this destination: step over it.
      await advance(db, d, last);
      if (rows.length < scan) return { kind: 'idle' };
      continue;
    }
    const secrets = activeSecrets(d, opts.box, o.now());
    const deliveryId = newId();
    const req = buildRequest(d.type, d.url, d.format, picked.map((r) => toApiEvent(r)), secrets, { deliveryId, now: o.now().getTime() });
    const res = await post(req, { allowPrivate: opts.allowPrivate, timeoutMs: o.timeoutMs });
    if (!ok(res)) return recordFailure(db, d, picked, res, o);
    const moved = await db.tenant(accountId, async (c) => {
      await ledger(c, d, picked, res);
      return advanceIn(c, d, last, true);
    });
    return { kind: 'delivered', events: picked.length, more: moved && (last !== rows[rows.length - 1] || rows.length === scan) };
  }
}

async function advance(db: Database, d: DestinationRow, to: Row): Promise<boolean> {
  return db.tenant(d.account_id, (c) => advanceIn(c, d, to, false));
}

/** Move the cursor, only from where this attempt read (another worker may have moved it meanwhile). */
async function advanceIn(c: PoolClient, d: DestinationRow, to: Row, delivered: boolean): Promise<boolean> {
  const { rowCount } = await c.query(
    `UPDATE destinations SET cursor_txid = $2, cursor_id = $3, updated_at = now()
       ${delivered ? ', failures = 0, failing_since = NULL, next_attempt_at = NULL, last_error = NULL, last_delivered_at = now()' : ''}
     WHERE id = $1 AND cursor_txid IS NOT DISTINCT FROM $4 AND cursor_id IS NOT DISTINCT FROM $5`,
    [d.id, to.txid, to.id, d.cursor_txid, d.cursor_id],
  );
  d.cursor_txid = to.txid;
  d.cursor_id = to.id;
  return (rowCount ?? 0) > 0;
}

/** Work through one replay: the retained range in time order, marked as replay. */
export async function deliverReplay(db: Database, accountId: string, replayId: string, opts: DeliveryOptions): Promise<DeliveryOutcome> {
  const o = withDefaults(opts);
  const rp = await db.tenant(accountId, async (c) => (await c.query<{ id: string; destination_id: string; range_from: Date; range_to: Date; cursor_occurred_at: Date | null; cursor_id: string | null; status: string }>('SELECT * FROM destination_replays WHERE id = $1', [replayId])).rows[0]);
  if (!rp || rp.status === 'completed' || rp.status === 'failed') return { kind: 'skipped' };
  const d = await loadDestination(db, accountId, rp.destination_id);
  if (!d || !d.enabled || d.deleted_at) return { kind: 'skipped' };
  const limit = BATCH_LIMIT[d.type];
  const log = d.workspace_id ? 'workspace_id = $2' : '(workspace_id IS NULL AND $2::uuid IS NULL)';
  const rows = await db.tenant(accountId, async (c) =>
    (
      await c.query<EventRecord>(
        `SELECT ${SELECT} FROM audit_events WHERE account_id = $1 AND ${log} AND occurred_at >= $3 AND occurred_at < $4
           AND (occurred_at, id) > ($5::timestamptz, $6::uuid) ORDER BY occurred_at, id LIMIT $7`,
        [accountId, d.workspace_id, rp.range_from, rp.range_to, rp.cursor_occurred_at ?? new Date(0), rp.cursor_id ?? '00000000-0000-0000-0000-000000000000', 1000],
      )
    ).rows,
  );
  const picked = rows.filter((r) => matchesFilter(r, d.filter)).slice(0, limit);
  const last = picked.length === limit ? picked[picked.length - 1] : rows[rows.length - 1];
  const finished = rows.length < 1000 && picked.length < limit;
  if (picked.length > 0) {
    const req = buildRequest(d.type, d.url, d.format, picked.map((r) => toApiEvent(r)), activeSecrets(d, opts.box, o.now()), { deliveryId: newId(), replay: true, now: o.now().getTime() });
    const res = await post(req, { allowPrivate: opts.allowPrivate, timeoutMs: o.timeoutMs });
    if (!ok(res)) return recordFailure(db, d, picked, res, o, replayId);
    await db.tenant(accountId, (c) => ledger(c, d, picked, res, { replayId }));
  }
  await db.tenant(accountId, (c) =>
    c.query(
      `UPDATE destination_replays SET status = $2, cursor_occurred_at = coalesce($3, cursor_occurred_at), cursor_id = coalesce($4, cursor_id),
              delivered = delivered + $5, completed_at = CASE WHEN $2 = 'completed' THEN now() END WHERE id = $1`,
      [replayId, finished ? 'completed' : 'running', last?.occurred_at ?? null, last?.id ?? null, picked.length],
    ),
  );
  // Nothing matched in this slice but more remain: report progress so the job goes on.
  if (finished && picked.length === 0) return { kind: 'idle' };
  return { kind: 'delivered', events: picked.length, more: !finished };
}

/** A synthetic event sent once to check a destination: the receiver's answer, recorded in the ledger as a test. */
export async function sendTest(db: Database, d: DestinationRow, opts: DeliveryOptions): Promise<HttpResult> {
  const o = withDefaults(opts);
  const now = o.now();
  const event = {
    id: newId(),
    account_id: d.account_id,
    workspace_id: d.workspace_id,
    scope: d.workspace_id ? ('workspace' as const) : ('account' as const),
    action: 'destination.test',
    category: 'forwarding',
    occurred_at: now.toISOString(),
    received_at: now.toISOString(),
    actor_type: 'system',
    actor_id: 'forwarding',
    actor_email: null,
    actor_name: 'Audit Trail',
    target_type: 'destination',
    target_id: d.id,
    target_name: d.name,
    ip: null,
    user_agent: null,
    outcome: 'success',
    metadata: { test: true, message: 'A test event from Audit Trail. Nothing happened.' },
    changes: null,
    source: 'platform' as const,
    api_key_id: null,
  };
  const req = buildRequest(d.type, d.url, d.format, [event], activeSecrets(d, opts.box, now), { deliveryId: newId(), test: true, now: now.getTime() });
  const res = await post(req, { allowPrivate: opts.allowPrivate, timeoutMs: o.timeoutMs });
  await db.tenant(d.account_id, (c) => ledger(c, d, [], res, { test: true }));
  return res;
}
