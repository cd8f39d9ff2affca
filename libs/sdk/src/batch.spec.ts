import { batchBody, fitsOneRequest, serialize, splitBatches } from './batch';

describe('request-sized batches', () => {
  it('split by count and by UTF-8 bytes, in order, and the body is the events as JSON', () => {
    const events = Array.from({ length: 2500 }, (_, i) => ({ i }));
    expect(splitBatches(events).map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(splitBatches(events).flat()).toEqual(events);
    // 'é' is two bytes: 100 events of 600 'é' are 120,000+ bytes, so a 50,000-byte limit takes 41 at most.
    const wide = Array.from({ length: 100 }, () => ({ s: 'é'.repeat(600) }));
    const batches = splitBatches(wide, 1000, 50_000);
    for (const b of batches) expect(Buffer.byteLength(batchBody(b.map(serialize)))).toBeLessThanOrEqual(50_000);
    expect(batches.flat()).toHaveLength(100);
    expect(JSON.parse(batchBody(events.slice(0, 3).map(serialize)))).toEqual({ events: events.slice(0, 3) });
  });

  it('refuse an event that could never fit', () => {
    expect(() => fitsOneRequest([serialize({ s: 'x'.repeat(2000) })], 1000, 1000)).toThrow(RangeError);
  });
});
