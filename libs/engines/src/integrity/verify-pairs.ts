import { canonicalJson, type LeafVersion, leafHashHexOfValues, SEALED_KEY_PREFIX, SEALED_KEYS, SEALED_V2_ONLY_AT } from '@audit-trail/audit-core';
import { type BinaryRow, copyLeafPairs, LEAF_PAIR, leafPairsOf, type LeafPairsQuery, SEALED_WIRE, timestampMsAt, uuidAt, writeIsoTime, writeUuid } from '@audit-trail/data';
import { hash } from 'node:crypto';
import { writeJsonbCanonical } from './jsonb-canonical';
import type { ClientBase } from 'pg';

/** A finding of `verify`: the event (or position) and what is wrong with it. */
export interface BadEvent {
  event_id: string | null;
  seq: number | null;
  occurred_at: string | null;
  reason: string;
}

/** Which leaves to pair: a log, a time range, and where the sealer's cursor is. */
export type PairsArgs = LeafPairsQuery & { cursor: { txid: string; id: string | null } | null };

export interface PairsResult {
  /** Events found for their leaves. */
  checked: number;
  bad: BadEvent[];
  /** Leaves of the range whose event is not there (deleted, moved, or purged). */
  missing: { seq: number; event_id: string; occurred_at: string }[];
  /** Rows whose bytes did not match their leaf and were read again value by value. */
  rechecked: number;
  /** Events of the range without a leaf that the sealer has not reached yet. */
  pending: number;
  /** Events of the range without a leaf although the sealer's cursor is past them. */
  behind: { event_id: string; occurred_at: string }[];
}

const CHANGED = 'this event was changed after it was sealed: it no longer matches its leaf hash';

/** `{"account_id":`, `,"action":`, … as bytes, in SEALED_KEYS order. */
const PREFIX = SEALED_KEY_PREFIX.map((k) => Buffer.from(k, 'utf8'));
const PREFIX_BYTES = PREFIX.reduce((n, b) => n + b.length, 0);
const V2_ONLY = [...SEALED_V2_ONLY_AT];
// The wire forms and readers, held here once: read through the module's
// re-exports they would cost a getter call per field of every row.
const WIRE = [...SEALED_WIRE];
const FIELDS = SEALED_KEYS.length;
const msAt = timestampMsAt;
const putUuid = writeUuid;
const putTime = writeIsoTime;
const canonical = canonicalJson;
const putJsonb = writeJsonbCanonical;

/**
 * Builds a leaf's input, 0x00 ‖ the canonical JSON of the event, straight
 * from a binary COPY row into one reused buffer: uuids and times are printed
 * from their bytes, text that needs no JSON escape is copied as it came, and
 * JSON values lose jsonb's spaces (parsed only when that is not enough). Each
 * piece has a property test against its plain form, and an API test requires
 * real rows with awkward values to match their leaves the first time; a row
 * that does not is looked at again value by value before anything is
 * reported.
 */
export class LeafInputWriter {
  private out = Buffer.allocUnsafe(4096);

  /** The leaf input of a row's sealed values (from field `from` on), valid until the next call. */
  write(row: BinaryRow, from: number, version: LeafVersion): Buffer {
    const { buf, start, len } = row;
    // Room for every prefix, every value copied as it came, and its quotes or
    // printed form; only an escaped string or a JSON value can need more.
    let room = PREFIX_BYTES + 8;
    for (let i = 0; i < FIELDS; i++) room += Math.max(len[from + i], 0) + 40;
    if (room > this.out.length) this.out = Buffer.allocUnsafe(room * 2);
    let out = this.out;
    let p = 0;
    out[p++] = 0;
    for (let i = 0; i < FIELDS; i++) {
      if (version === 1 && V2_ONLY[i]) continue;
      const prefix = PREFIX[i];
      for (let j = 0; j < prefix.length; j++) out[p++] = prefix[j];
      const at = start[from + i];
      const n = len[from + i];
      if (n < 0) {
        out[p++] = 0x6e; // null
        out[p++] = 0x75;
        out[p++] = 0x6c;
        out[p++] = 0x6c;
        continue;
      }
      const wire = WIRE[i];
      if (wire === 'text') {
        const begin = p;
        out[p++] = 0x22;
        let plain = true;
        for (let j = at, end = at + n; j < end; j++) {
          const c = buf[j];
          if (c < 0x20 || c === 0x22 || c === 0x5c) {
            plain = false;
            break;
          }
          out[p++] = c;
        }
        if (plain) out[p++] = 0x22;
        else {
          // Needs escapes: let JSON.stringify write it, exactly as the sealer did.
          p = this.put(begin, JSON.stringify(buf.toString('utf8', at, at + n)), room);
          out = this.out;
        }
      } else if (wire === 'uuid') {
        out[p++] = 0x22;
        p = putUuid(out, p, buf, at);
        out[p++] = 0x22;
      } else if (wire === 'time') {
        p = putTime(out, p, msAt(buf, at));
      } else {
        // jsonb on the wire: a version byte, then its text. Most values only
        // lose jsonb's spaces; the others are parsed and printed canonically.
        const q = putJsonb(out, p, buf, at + 1, at + n);
        if (q >= 0) p = q;
        else {
          p = this.put(p, canonical(JSON.parse(buf.toString('utf8', at + 1, at + n))), room);
          out = this.out;
        }
      }
    }
    out[p++] = 0x7d;
    return out.subarray(0, p);
  }

  /**
   * Write `s` as UTF-8 at `p`. The buffer keeps room for `rest` more bytes
   * after it (what the row's remaining values can take), growing, with what
   * is before `p` kept, when it may not.
   */
  private put(p: number, s: string, rest: number): number {
    const need = p + s.length * 3 + rest;
    if (need > this.out.length) {
      const bigger = Buffer.allocUnsafe(need * 2);
      this.out.copy(bigger, 0, 0, p);
      this.out = bigger;
    }
    return p + this.out.write(s, p, 'utf8');
  }
}

/** How many rows that did not match are looked at again in one query. */
const RECHECK_BATCH = 1000;

/**
 * The leaves of [from, to) each with its event, and the events without a
 * leaf, paired by one hash join in PostgreSQL and read as binary COPY rows; an event that no longer
 * hashes to its leaf was changed. A row whose bytes do not match is read
 * again as the API prints it and hashed as the sealer did, so a difference in
 * the fast path can cost time but never raise a false alarm. Runs in the
 * caller's read-only transaction (its snapshot and tenant), on whichever
 * connection and thread.
 */
export async function checkPairs(c: ClientBase, a: PairsArgs): Promise<PairsResult> {
  const result: PairsResult = { checked: 0, bad: [], missing: [], rechecked: 0, pending: 0, behind: [] };
  const writer = new LeafInputWriter();
  const eventIdAt = LEAF_PAIR.sealedFrom + SEALED_KEYS.indexOf('id');
  const suspects: string[] = [];
  const occurredAt = LEAF_PAIR.sealedFrom + SEALED_KEYS.indexOf('occurred_at');
  await copyLeafPairs(c, a, (row) => {
    const { buf, start, len } = row;
    if (len[LEAF_PAIR.seq] < 0) {
      // An event without a leaf: not sealed yet, or written into sealed history.
      if (buf[start[LEAF_PAIR.behind]] === 1) result.behind.push({ event_id: uuidAt(buf, start[eventIdAt]), occurred_at: new Date(timestampMsAt(buf, start[occurredAt])).toISOString() });
      else result.pending++;
      return;
    }
    if (len[eventIdAt] < 0) {
      result.missing.push({ seq: Number(buf.readBigInt64BE(start[LEAF_PAIR.seq])), event_id: uuidAt(buf, start[LEAF_PAIR.eventId]), occurred_at: new Date(timestampMsAt(buf, start[LEAF_PAIR.occurredAt])).toISOString() });
      return;
    }
    result.checked++;
    const version = buf.readInt16BE(start[LEAF_PAIR.version]) as LeafVersion;
    const digest = hash('sha256', writer.write(row, LEAF_PAIR.sealedFrom, version), 'buffer');
    const h = start[LEAF_PAIR.hash];
    if (len[LEAF_PAIR.hash] !== 32 || digest.compare(buf, h, h + 32) !== 0) suspects.push(uuidAt(buf, start[LEAF_PAIR.eventId]));
  });
  result.rechecked = suspects.length;
  for (let i = 0; i < suspects.length; i += RECHECK_BATCH) {
    for (const r of await leafPairsOf(c, a, suspects.slice(i, i + RECHECK_BATCH))) {
      const [seq, eventId, occurredAt, hashHex, version] = r;
      if (leafHashHexOfValues(r.slice(LEAF_PAIR.sealedFrom), version as LeafVersion) !== hashHex) result.bad.push({ event_id: eventId, seq: Number(seq), occurred_at: occurredAt, reason: CHANGED });
    }
  }
  return result;
}
