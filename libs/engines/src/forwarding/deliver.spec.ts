import { accepted, backoffMs, decideAfterFailure, describeAnswer } from './deliver';
import type { HttpResult } from './safe-http';

const HOUR = 3_600_000;
const answer = (status: number | null, extra: Partial<HttpResult> = {}): HttpResult => ({ status, latencyMs: 5, body: '', error: null, ...extra });

describe('the delivery engine, its decisions', () => {
  it('counts only a 2xx as received', () => {
    expect([200, 204, 299].map((s) => accepted(answer(s)))).toEqual([true, true, true]);
    expect([null, 199, 301, 410, 500].map((s) => accepted(answer(s)))).toEqual([false, false, false, false, false]);
    expect(describeAnswer(answer(503, { body: 'down for maintenance' }))).toBe('HTTP 503: down for maintenance');
    expect(describeAnswer(answer(null, { error: 'connect ECONNREFUSED' }))).toBe('connect ECONNREFUSED');
  });

  it('backs off exponentially from the base, with jitter between half and all of it, never past an hour', () => {
    expect(backoffMs(1, 1000, () => 1)).toBe(1000);
    expect(backoffMs(3, 1000, () => 1)).toBe(4000);
    expect(backoffMs(3, 1000, () => 0)).toBe(2000);
    expect(backoffMs(40, 1000, () => 1)).toBe(HOUR);
  });

  it('retries a failing receiver, and disables one that answered 410 or failed for a day', () => {
    const now = new Date('2026-05-01T12:00:00Z');
    const o = { now, giveUpMs: 24 * HOUR, backoffBaseMs: 1000, random: () => 1 };
    const first = decideAfterFailure({ failing_since: null, failures: 0 }, answer(500), o);
    expect(first).toMatchObject({ disable: false, retryAt: new Date(now.getTime() + 1000) });
    const gone = decideAfterFailure({ failing_since: null, failures: 0 }, answer(410), o);
    expect(gone).toMatchObject({ disable: true, reason: 'The receiver answered 410 Gone.' });
    const dayLong = decideAfterFailure({ failing_since: new Date(now.getTime() - 24 * HOUR), failures: 30 }, answer(502), o);
    expect(dayLong.disable).toBe(true);
    expect(dayLong.reason).toBe('Deliveries failed for 24 hours; last error: HTTP 502');
    expect(decideAfterFailure({ failing_since: new Date(now.getTime() - 23 * HOUR), failures: 30 }, answer(502), o).disable).toBe(false);
  });
});
