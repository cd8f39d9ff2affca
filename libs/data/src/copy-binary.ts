import type { ClientBase } from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/**
 * One row of a binary COPY, read in place: field `i` is `buf[start[i], start[i] + len[i])`,
 * and `len[i]` is -1 for NULL. The object and its arrays are reused for every
 * row and `buf` is only valid during the callback: read what you need there.
 */
export interface BinaryRow {
  buf: Buffer;
  fields: number;
  start: Int32Array;
  len: Int32Array;
}

/** COPY BINARY's header: the signature, the flags and the header extension length. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER = SIGNATURE.length + 8;

/**
 * `COPY (select) TO STDOUT (FORMAT binary)` on the caller's connection (its
 * transaction and snapshot), each row handed to `onRow` as offsets into the
 * bytes PostgreSQL sent: no string, object or Buffer is made per field, which
 * is what reading a million rows through the row protocol spends its time on.
 * COPY takes no bind parameters: `select` must carry its values as literals
 * (client.escapeLiteral).
 */
export async function copyBinaryRows(client: ClientBase, select: string, onRow: (row: BinaryRow) => void): Promise<number> {
  const stream = client.query(copyTo(`COPY (${select}) TO STDOUT (FORMAT binary)`));
  const row: BinaryRow = { buf: Buffer.alloc(0), fields: 0, start: new Int32Array(64), len: new Int32Array(64) };
  let rest: Buffer | null = null;
  let headerRead = false;
  let rows = 0;
  let ended = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = null;
    let pos = 0;
    if (!headerRead) {
      if (buf.length < HEADER) {
        rest = buf;
        continue;
      }
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('COPY BINARY: not a binary COPY stream');
      pos = HEADER + buf.readInt32BE(HEADER - 4);
      headerRead = true;
    }
    row.buf = buf;
    while (!ended) {
      if (buf.length - pos < 2) break;
      const n = buf.readInt16BE(pos);
      if (n === -1) {
        ended = true;
        break;
      }
      if (n > row.start.length) {
        row.start = new Int32Array(n);
        row.len = new Int32Array(n);
      }
      // Walk the fields; stop (and keep the bytes) when the row is not all here yet.
      let p = pos + 2;
      let complete = true;
      for (let i = 0; i < n; i++) {
        if (buf.length - p < 4) {
          complete = false;
          break;
        }
        const l = buf.readInt32BE(p);
        p += 4;
        row.start[i] = p;
        row.len[i] = l;
        if (l > 0) p += l;
        if (p > buf.length) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      row.fields = n;
      onRow(row);
      rows++;
      pos = p;
    }
    if (!ended && pos < buf.length) rest = buf.subarray(pos);
  }
  if (!ended) throw new Error('COPY BINARY: the stream ended before its trailer');
  return rows;
}

/** An int8 field as a number (exact below 2^53). */
export function int8At(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4_294_967_296 + buf.readUInt32BE(at + 4);
}

/** Milliseconds since 1970 of a timestamptz field (microseconds since 2000 on the wire), rounded down as to_char's MS is. */
export function timestampMsAt(buf: Buffer, at: number): number {
  return Math.floor(int8At(buf, at) / 1000) + 946_684_800_000;
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** Write a uuid field (16 bytes) as its 36-character text form; returns the position after it. */
export function writeUuid(out: Buffer, p: number, buf: Buffer, at: number): number {
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out[p++] = 0x2d;
    const b = buf[at + i];
    out[p++] = HEX[b >> 4];
    out[p++] = HEX[b & 15];
  }
  return p;
}

/** A uuid field as a string (for the rare row that is reported). */
export function uuidAt(buf: Buffer, at: number): string {
  const out = Buffer.allocUnsafe(36);
  writeUuid(out, 0, buf, at);
  return out.toString('latin1');
}

const DAY_MS = 86_400_000;

/**
 * Write milliseconds since 1970 as `"YYYY-MM-DDTHH:MM:SS.mmmZ"` (with the
 * quotes): what Date's toISOString prints for years 0 to 9999, without a Date
 * or a string per call (the calendar date by Howard Hinnant's days-to-civil
 * algorithm). Returns the position after it.
 */
export function writeIsoTime(out: Buffer, p: number, ms: number): number {
  const day = Math.floor(ms / DAY_MS);
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  // Years outside 0..9999 print differently; let Date print those.
  if (y < 0 || y > 9999) return p + out.write(`"${new Date(ms).toISOString()}"`, p, 'latin1');
  out[p++] = 0x22;
  p = two(out, p, Math.floor(y / 100));
  p = two(out, p, y % 100);
  out[p++] = 0x2d;
  p = two(out, p, m);
  out[p++] = 0x2d;
  p = two(out, p, d);
  out[p++] = 0x54;
  let t = ms - day * DAY_MS;
  const milli = t % 1000;
  t = (t - milli) / 1000;
  const sec = t % 60;
  t = (t - sec) / 60;
  const min = t % 60;
  const hour = (t - min) / 60;
  p = two(out, p, hour);
  out[p++] = 0x3a;
  p = two(out, p, min);
  out[p++] = 0x3a;
  p = two(out, p, sec);
  out[p++] = 0x2e;
  out[p++] = 0x30 + Math.floor(milli / 100);
  out[p++] = 0x30 + (Math.floor(milli / 10) % 10);
  out[p++] = 0x30 + (milli % 10);
  out[p++] = 0x5a;
  out[p++] = 0x22;
  return p;
}

function two(out: Buffer, p: number, n: number): number {
  out[p] = 0x30 + Math.floor(n / 10);
  out[p + 1] = 0x30 + (n % 10);
  return p + 2;
}
