/** The API's limits on one POST /v1/events: 1,000 events and a 1 MiB body. */
export const MAX_BATCH_EVENTS = 1000;
export const MAX_BATCH_BYTES = 1024 * 1024;

const encoder = new TextEncoder();

/** A fresh idempotency key (crypto.randomUUID: Node 20+ and every current browser). */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** An event serialized once: its JSON and that JSON's size in UTF-8 bytes. */
export interface Serialized<T> {
  event: T;
  json: string;
  bytes: number;
}

/** JSON.stringify escapes control characters, so JSON that is all printable ASCII is one byte per character. */
const NOT_PRINTABLE_ASCII = /[^ -~]/;

export function serialize<T>(event: T): Serialized<T> {
  const json = JSON.stringify(event);
  return { event, json, bytes: NOT_PRINTABLE_ASCII.test(json) ? encoder.encode(json).length : json.length };
}

/** The body of POST /v1/events for events already serialized. */
export function batchBody(items: readonly Serialized<unknown>[]): string {
  return `{"events":[${items.map((i) => i.json).join(',')}]}`;
}

/** How many of `items`, from `start`, fit one request (at least one). */
export function fitsOneRequest(items: readonly Serialized<unknown>[], maxEvents = MAX_BATCH_EVENTS, maxBytes = MAX_BATCH_BYTES - 4096, start = 0): number {
  let bytes = 12;
  let n = 0;
  for (let i = start; i < items.length; i++) {
    const item = items[i];
    if (n >= maxEvents) break;
    if (item.bytes + 13 > maxBytes) throw new RangeError(`one event is ${item.bytes} bytes as JSON; a request holds at most ${maxBytes}`);
    if (n > 0 && bytes + item.bytes + 1 > maxBytes) break;
    bytes += item.bytes + 1;
    n++;
  }
  return n;
}

/**
 * Split events into request-sized batches, in order: at most `maxEvents`
 * each, and a `{"events": [...]}` body of at most `maxBytes`.
 */
export function splitBatches<T>(events: readonly T[], maxEvents = MAX_BATCH_EVENTS, maxBytes = MAX_BATCH_BYTES - 4096): T[][] {
  const items = events.map(serialize);
  const batches: T[][] = [];
  for (let at = 0; at < items.length; ) {
    const n = fitsOneRequest(items, maxEvents, maxBytes, at);
    batches.push(items.slice(at, at + n).map((s) => s.event));
    at += n;
  }
  return batches;
}
