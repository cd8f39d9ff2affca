import fc from 'fast-check';
import { int8At, timestampMsAt, uuidAt, writeIsoTime } from './copy-binary';

describe('reading binary COPY fields in place', () => {
  it('prints any time exactly as Date.toISOString does, the year 0 to 9999 digit by digit and the rest through Date', () => {
    const out = Buffer.alloc(64);
    const print = (ms: number) => out.toString('latin1', 0, writeIsoTime(out, 0, ms));
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => print(ms) === JSON.stringify(new Date(ms).toISOString())),
      { seed: 20261202, numRuns: 20_000 },
    );
    for (const ms of [0, -1, -62167219200000, -62167219200001, 253402300799999, 253402300800000, 951782400000, 4107542400000]) {
      expect(print(ms)).toBe(JSON.stringify(new Date(ms).toISOString()));
    }
  });

  it('reads int8, timestamptz (microseconds since 2000) and uuid as PostgreSQL sends them', () => {
    const b = Buffer.alloc(8);
    for (const n of [0n, 1n, -1n, 2n ** 52n, -(2n ** 52n), 1_234_567_890_123n]) {
      b.writeBigInt64BE(n);
      expect(int8At(b, 0)).toBe(Number(n));
    }
    // 2026-12-02T07:15:09.123456Z, and a time before 2000.
    b.writeBigInt64BE(BigInt(Date.UTC(2026, 11, 2, 7, 15, 9, 123) - 946_684_800_000) * 1000n + 456n);
    expect(new Date(timestampMsAt(b, 0)).toISOString()).toBe('2026-12-02T07:15:09.123Z');
    b.writeBigInt64BE(BigInt(Date.UTC(1999, 11, 31, 23, 59, 59, 999) - 946_684_800_000) * 1000n + 1n);
    expect(new Date(timestampMsAt(b, 0)).toISOString()).toBe('1999-12-31T23:59:59.999Z');
    const id = '0192f0c4-1b7e-7000-8a00-00000000ff0a';
    expect(uuidAt(Buffer.from(id.replaceAll('-', ''), 'hex'), 0)).toBe(id);
  });
});
