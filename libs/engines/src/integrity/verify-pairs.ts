import { type ApiEvent, type LeafVersion, leafHashHex } from '@audit-trail/audit-core';
import type { ClientBase } from 'pg';
import { type LeafPairsQuery, streamLeafPairs } from '@audit-trail/data';

/** A finding of `verify`: the event (or position) and what is wrong with it. */
export interface BadEvent {
  event_id: string | null;
  seq: number | null;
  occurred_at: string | null;
  reason: string;
}

/** The events as the API shows them, the two times already printed. */
export type PairsArgs = LeafPairsQuery;

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
  const result: PairsResult = { checked: 0, bad: [], missing: [] };
  for await (const r of streamLeafPairs(c, a)) {
    if (r.id === null) {
      result.missing.push({ seq: Number(r.l_seq), event_id: r.l_event_id, occurred_at: r.l_occurred_at });
      continue;
    }
    result.checked++;
    if (leafHashHex(r as unknown as ApiEvent, r.l_version as LeafVersion) !== r.l_hash) {
      result.bad.push({ event_id: r.id, seq: Number(r.l_seq), occurred_at: r.occurred_at, reason: 'this event was changed after it was sealed: it no longer matches its leaf hash' });
    }
  }
  return result;
}
