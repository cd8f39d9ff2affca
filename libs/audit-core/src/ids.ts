/**
 * Event ids are UUIDv7 whose 48-bit time field is the event's `occurred_at`
 * in milliseconds. The id therefore sorts with the log and tells the database
 * which partition holds the event, so a lookup by id needs no extra index.
 */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

let lastMs = -1;
let lastRandom: Uint8Array = new Uint8Array(10);

// Random bytes are drawn 4 KiB at a time: one call to the CSPRNG per ~400 ids instead of one per id.
const POOL = new Uint8Array(4096);
let poolAt = POOL.length;

function freshRandom(): Uint8Array {
  if (poolAt + 10 > POOL.length) {
    crypto.getRandomValues(POOL);
    poolAt = 0;
  }
  poolAt += 10;
  return POOL.slice(poolAt - 10, poolAt);
}

/**
 * Random bits for a new id; for the same millisecond as the previous id, the
 * previous bits plus one, so events stored in one batch keep their order.
 */
function nextRandom(ms: number): Uint8Array {
  if (ms === lastMs) {
    const next = lastRandom.slice();
    for (let i = 9; i >= 0; i--) {
      // Byte 2 holds the variant bits (top two); keep the counter below them.
      const max = i === 2 ? 0x3f : i === 0 ? 0x0f : 0xff;
      if ((next[i] & max) < max) {
        next[i] = (next[i] & ~max) | ((next[i] & max) + 1);
        lastRandom = next;
        return next;
      }
      next[i] = next[i] & ~max;
    }
  }
  lastMs = ms;
  lastRandom = freshRandom();
  // Leave head-room so a run of increments rarely overflows.
  lastRandom[0] &= 0x07;
  return lastRandom;
}

export function uuidv7At(ms: number, random?: Uint8Array): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > 0xffffffffffff) throw new RangeError('uuidv7 time out of range');
  random ??= nextRandom(ms);
  const b = new Uint8Array(16);
  let t = ms;
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b.set(random.subarray(0, 10), 6);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  let s = '';
  for (let i = 0; i < 16; i++) {
    s += HEX[b[i]];
    if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
  }
  return s;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** The millisecond timestamp in a UUIDv7, or null when the value is not one. */
export function uuidv7Time(id: string): number | null {
  if (!isUuid(id) || id[14] !== '7') return null;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** A new time-ordered id (UUIDv7 of now). */
export function newId(): string {
  return uuidv7At(Date.now());
}
