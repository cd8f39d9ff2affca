import type { DestinationFilter, DestinationFormat, DestinationType, EventRecord } from '@audit-trail/audit-core';
import { newId } from '@audit-trail/audit-core';
import type { EntityManager, RequiredEntityData } from '@mikro-orm/postgresql';
import type { SqlExecutor } from '../database';
import { Destination, DestinationDelivery, DestinationReplay } from '../entities/destination.entity';
import { EVENT_SELECT_LIST } from './event.repository';

/**
 * The statements of forwarding that the Destination entities do not cover:
 * the delivery engine's reads, cursor moves, failure bookkeeping, the
 * delivery ledger and replays.
 */

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

export async function findDestinationRow(exec: SqlExecutor, id: string): Promise<DestinationRow | null> {
  return (await exec.query<DestinationRow>('SELECT * FROM destinations WHERE id = $1', [id])).rows[0] ?? null;
}

/**
 * The position a new destination starts from: after every transaction that
 * finished before it was created (history is what replay is for).
 */
export async function startingCursor(exec: SqlExecutor): Promise<{ txid: string; id: string }> {
  const { rows } = await exec.query<{ x: string }>(`SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1)::text AS x`);
  return { txid: rows[0].x, id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };
}

/**
 * Move the cursor, only from where this attempt read (another worker may have
 * moved it meanwhile). `delivered`: the failure state clears too. False when
 * the cursor was not where the attempt read it.
 */
export async function moveDestinationCursor(
  exec: SqlExecutor,
  d: Pick<DestinationRow, 'id' | 'cursor_txid' | 'cursor_id'>,
  to: { txid: string; id: string },
  delivered: boolean,
): Promise<boolean> {
  const { rows } = await exec.query(
    `UPDATE destinations SET cursor_txid = $2, cursor_id = $3, updated_at = now()
       ${delivered ? ', failures = 0, failing_since = NULL, next_attempt_at = NULL, last_error = NULL, last_delivered_at = now()' : ''}
     WHERE id = $1 AND cursor_txid IS NOT DISTINCT FROM $4 AND cursor_id IS NOT DISTINCT FROM $5 RETURNING 1`,
    [d.id, to.txid, to.id, d.cursor_txid, d.cursor_id],
  );
  return rows.length > 0;
}

/**
 * Count a failed attempt, in SQL: a row changed since the attempt read it
 * keeps its own first failure and count rather than the attempt's stale copy.
 */
export async function recordDestinationFailure(
  exec: SqlExecutor,
  id: string,
  f: { now: Date; retryAt: Date; error: string; disable: boolean; reason: string },
): Promise<void> {
  await exec.query(
    `UPDATE destinations SET failures = failures + 1, failing_since = COALESCE(failing_since, $2), next_attempt_at = $3, last_error = $4,
            enabled = CASE WHEN $5 THEN false ELSE enabled END, disabled_reason = CASE WHEN $5 THEN $6 ELSE disabled_reason END, updated_at = now()
     WHERE id = $1`,
    [id, f.now, f.retryAt, f.error.slice(0, 1000), f.disable, f.reason],
  );
}

export interface DeliveryLedgerEntry {
  accountId: string;
  destinationId: string;
  events: { id: string }[];
  status: number | null;
  latencyMs: number;
  error: string | null;
  replayId?: string;
  test?: boolean;
}

/** One line of a destination's delivery ledger. */
export async function insertDelivery(exec: SqlExecutor, e: DeliveryLedgerEntry): Promise<void> {
  await exec.query(
    `INSERT INTO destination_deliveries (id, account_id, destination_id, first_event_id, last_event_id, event_count, status_code, latency_ms, error, replay_id, test)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [newId(), e.accountId, e.destinationId, e.events[0]?.id ?? null, e.events.at(-1)?.id ?? null, e.events.length, e.status, e.latencyMs, e.error, e.replayId ?? null, e.test ?? false],
  );
}

export interface ReplayRow {
  id: string;
  destination_id: string;
  range_from: Date;
  range_to: Date;
  cursor_occurred_at: Date | null;
  cursor_id: string | null;
  status: string;
}

export async function findReplay(exec: SqlExecutor, id: string): Promise<ReplayRow | undefined> {
  return (await exec.query<ReplayRow>('SELECT * FROM destination_replays WHERE id = $1', [id])).rows[0];
}

/** The next slice of a replay's range, in time order, after its cursor. */
export async function replaySlice(exec: SqlExecutor, accountId: string, workspaceId: string | null, rp: ReplayRow, limit: number): Promise<EventRecord[]> {
  const log = workspaceId ? 'workspace_id = $2' : '(workspace_id IS NULL AND $2::uuid IS NULL)';
  const { rows } = await exec.query<EventRecord>(
    `SELECT ${EVENT_SELECT_LIST} FROM audit_events WHERE account_id = $1 AND ${log} AND occurred_at >= $3 AND occurred_at < $4
       AND (occurred_at, id) > ($5::timestamptz, $6::uuid) ORDER BY occurred_at, id LIMIT $7`,
    [accountId, workspaceId, rp.range_from, rp.range_to, rp.cursor_occurred_at ?? new Date(0), rp.cursor_id ?? '00000000-0000-0000-0000-000000000000', limit],
  );
  return rows;
}

export async function advanceReplay(exec: SqlExecutor, id: string, p: { finished: boolean; last: { occurred_at: Date; id: string } | null; delivered: number }): Promise<void> {
  await exec.query(
    `UPDATE destination_replays SET status = $2, cursor_occurred_at = coalesce($3, cursor_occurred_at), cursor_id = coalesce($4, cursor_id),
            delivered = delivered + $5, completed_at = CASE WHEN $2 = 'completed' THEN now() END WHERE id = $1`,
    [id, p.finished ? 'completed' : 'running', p.last?.occurred_at ?? null, p.last?.id ?? null, p.delivered],
  );
}

// Through the ORM: the API's side of the tables.

export function findDestination(em: EntityManager, id: string): Promise<Destination | null> {
  return em.findOne(Destination, { id });
}

/** The tenant's destinations that are not deleted, oldest first. */
export function liveDestinations(em: EntityManager): Promise<Destination[]> {
  return em.find(Destination, { deletedAt: null }, { orderBy: { createdAt: 'asc' } });
}

export function countLiveDestinations(em: EntityManager): Promise<number> {
  return em.count(Destination, { deletedAt: null });
}

/** A new destination, persisted with the caller's flush. */
export function newDestination(em: EntityManager, fields: RequiredEntityData<Destination>): Destination {
  return em.create(Destination, fields);
}

/** A destination's most recent deliveries, newest first. */
export function recentDeliveries(em: EntityManager, accountId: string, destinationId: string, limit: number): Promise<DestinationDelivery[]> {
  return em.find(DestinationDelivery, { destination: [accountId, destinationId] }, { orderBy: { attemptedAt: 'desc' }, limit });
}

/** A new replay of a time range, persisted with the caller's flush. */
export function newReplay(em: EntityManager, fields: RequiredEntityData<DestinationReplay>): DestinationReplay {
  return em.create(DestinationReplay, fields);
}
