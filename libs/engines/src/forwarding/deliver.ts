import { BATCH_LIMIT, buildRequest, type EventRecord, matchesFilter, newId, toApiEvent } from '@audit-trail/audit-core';
import type { PoolClient } from 'pg';
import {
  advanceReplay,
  type Database,
  type DestinationRow,
  eventsAfter,
  findDestinationRow,
  findReplay,
  insertDelivery,
  moveDestinationCursor,
  recordDestinationFailure,
  replaySlice,
} from '@audit-trail/data';
import { post, type HttpResult, type PrivateAccess } from './safe-http';
import type { SecretBox } from './secret-box';

export interface DeliveryOptions {
  box: SecretBox;
  /** Private or loopback addresses a delivery may reach (see FORWARDING_ALLOW_PRIVATE and FORWARDING_ALLOW_HOSTS). */
  allowPrivate: PrivateAccess;
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

const HOUR = 3_600_000;

/** The signing secrets in use: the current one, and the previous one while a rotation overlaps. */
export function activeSecrets(d: Pick<DestinationRow, 'secret_enc' | 'previous_secret_enc' | 'previous_secret_until'>, box: SecretBox, now: Date): string[] {
  const out: string[] = [];
  if (d.secret_enc) out.push(box.open(d.secret_enc));
  if (d.previous_secret_enc && d.previous_secret_until && d.previous_secret_until > now) out.push(box.open(d.previous_secret_enc));
  return out;
}

export async function loadDestination(db: Database, accountId: string, id: string): Promise<DestinationRow | null> {
  return db.tenant(accountId, (c) => findDestinationRow(c, id));
}

type Row = EventRecord & { txid: string };

/** The next events of a destination's log after its cursor. */
function nextEvents(c: PoolClient, d: DestinationRow, limit: number): Promise<Row[]> {
  return eventsAfter(c, d.account_id, d.workspace_id, { txid: d.cursor_txid, id: d.cursor_id }, limit);
}

/** Delay before the next attempt: doubling per failure up to an hour, with jitter (half to all of it). */
export function backoffMs(failures: number, base: number, random: () => number = Math.random): number {
  const exp = Math.min(HOUR, base * 2 ** Math.max(0, failures - 1));
  return Math.round(exp * (0.5 + random() * 0.5));
}

async function ledger(c: PoolClient, d: DestinationRow, events: { id: string }[], r: HttpResult | null, extra: { replayId?: string; test?: boolean; error?: string } = {}) {
  await insertDelivery(c, {
    accountId: d.account_id,
    destinationId: d.id,
    events,
    status: r?.status ?? null,
    latencyMs: r?.latencyMs ?? 0,
    error: extra.error ?? r?.error ?? null,
    replayId: extra.replayId,
    test: extra.test,
  });
}

/** A receiver's answer counts as received only as a 2xx. */
export const accepted = (r: HttpResult) => r.status !== null && r.status >= 200 && r.status < 300;
/** A failed answer in words: the transport error, or the status and the start of the body. */
export const describeAnswer = (r: HttpResult) => r.error ?? `HTTP ${r.status}${r.body ? `: ${r.body.slice(0, 200)}` : ''}`;

export interface FailureDecision {
  retryAt: Date;
  /** 410 Gone, or failing for longer than giveUpMs: the destination is disabled. */
  disable: boolean;
  reason: string;
}

/** What a failed attempt means for the destination: when to try again, or that it stops. */
export function decideAfterFailure(
  d: Pick<DestinationRow, 'failing_since' | 'failures'>,
  r: HttpResult,
  o: { now: Date; giveUpMs: number; backoffBaseMs: number; random?: () => number },
): FailureDecision {
  const failingSince = d.failing_since ?? o.now;
  const gone = r.status === 410;
  const tooLong = o.now.getTime() - failingSince.getTime() >= o.giveUpMs;
  const retryAt = new Date(o.now.getTime() + backoffMs(d.failures + 1, o.backoffBaseMs, o.random));
  const reason = gone ? 'The receiver answered 410 Gone.' : `Deliveries failed for ${Math.round((o.now.getTime() - failingSince.getTime()) / HOUR)} hours; last error: ${describeAnswer(r)}`;
  return { retryAt, disable: gone || tooLong, reason };
}

/** Record a failed attempt: back off, or disable after a 410 or a day of failures. */
async function recordFailure(db: Database, d: DestinationRow, events: { id: string }[], r: HttpResult, o: Required<Omit<DeliveryOptions, 'box' | 'allowPrivate'>>, replayId?: string): Promise<DeliveryOutcome> {
  const now = o.now();
  const f = decideAfterFailure(d, r, { now, giveUpMs: o.giveUpMs, backoffBaseMs: o.backoffBaseMs });
  await db.tenant(d.account_id, async (c) => {
    await ledger(c, d, events, r, { replayId });
    await recordDestinationFailure(c, d.id, { now, retryAt: f.retryAt, error: describeAnswer(r), disable: f.disable, reason: f.reason });
  });
  if (f.disable) return { kind: 'disabled', reason: f.reason };
  return { kind: 'failed', status: r.status, error: describeAnswer(r), retryAt: f.retryAt };
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
    if (!accepted(res)) return recordFailure(db, d, picked, res, o);
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
  const moved = await moveDestinationCursor(c, d, to, delivered);
  d.cursor_txid = to.txid;
  d.cursor_id = to.id;
  return moved;
}

/** Work through one replay: the retained range in time order, marked as replay. */
export async function deliverReplay(db: Database, accountId: string, replayId: string, opts: DeliveryOptions): Promise<DeliveryOutcome> {
  const o = withDefaults(opts);
  const rp = await db.tenant(accountId, (c) => findReplay(c, replayId));
  if (!rp || rp.status === 'completed' || rp.status === 'failed') return { kind: 'skipped' };
  const d = await loadDestination(db, accountId, rp.destination_id);
  if (!d || !d.enabled || d.deleted_at) return { kind: 'skipped' };
  const limit = BATCH_LIMIT[d.type];
  const rows = await db.tenant(accountId, (c) => replaySlice(c, accountId, d.workspace_id, rp, 1000));
  const picked = rows.filter((r) => matchesFilter(r, d.filter)).slice(0, limit);
  const last = picked.length === limit ? picked[picked.length - 1] : rows[rows.length - 1];
  const finished = rows.length < 1000 && picked.length < limit;
  if (picked.length > 0) {
    const req = buildRequest(d.type, d.url, d.format, picked.map((r) => toApiEvent(r)), activeSecrets(d, opts.box, o.now()), { deliveryId: newId(), replay: true, now: o.now().getTime() });
    const res = await post(req, { allowPrivate: opts.allowPrivate, timeoutMs: o.timeoutMs });
    if (!accepted(res)) return recordFailure(db, d, picked, res, o, replayId);
    await db.tenant(accountId, (c) => ledger(c, d, picked, res, { replayId }));
  }
  await db.tenant(accountId, (c) => advanceReplay(c, replayId, { finished, last: last ?? null, delivered: picked.length }));
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
