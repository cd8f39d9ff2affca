/** The API's limits on one POST /v1/events: 1,000 events and a 1 MiB body. */
export const MAX_BATCH_EVENTS = 1000;
export const MAX_BATCH_BYTES = 1024 * 1024;

const encoder = new TextEncoder();

/** A fresh idempotency key (crypto.randomUUID: Node 20+ and every current browser). */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * Split events into request-sized batches, in order: at most `maxEvents`
 * each, and a `{"events": [...]}` body of at most `maxBytes`.
 */
export function splitBatches<T>(events: readonly T[], maxEvents = MAX_BATCH_EVENTS, maxBytes = MAX_BATCH_BYTES - 4096): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 12; // {"events":[]}
  for (const e of events) {
    const size = encoder.encode(JSON.stringify(e)).length + 1;
    if (size + 12 > maxBytes) throw new RangeError(`one event is ${size} bytes as JSON; a request holds at most ${maxBytes}`);
    if (current.length > 0 && (current.length >= maxEvents || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 12;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length) batches.push(current);
  return batches;
}
