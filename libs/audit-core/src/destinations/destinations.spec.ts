import { buildRequest, BATCH_LIMIT, DEFAULT_URL } from '../forwarding';
import { normalizeEvent, toApiEvent } from '../normalize';
import { DESTINATION_SPECS, DESTINATION_TYPES, destinationSpec } from './index';

const event = toApiEvent(
  normalizeEvent({ action: 'document.update', actor: { type: 'user', id: 'u_1', email: 'a@x.test' }, outcome: 'success' }, { accountId: '01a204a3-4625-779d-ade2-86f08b3aa060', receivedAt: new Date('2026-05-01T00:00:00Z'), workspaceId: null }),
);

describe('the destination type registry', () => {
  it('holds each type once, and every derived table agrees with the specs', () => {
    expect(new Set(DESTINATION_TYPES).size).toBe(DESTINATION_SPECS.length);
    for (const s of DESTINATION_SPECS) {
      expect(destinationSpec(s.type)).toBe(s);
      expect(BATCH_LIMIT[s.type]).toBe(s.batchLimit);
      expect(DEFAULT_URL[s.type]).toBe(s.defaultUrl);
      expect(s.batchLimit).toBeGreaterThanOrEqual(1);
      expect(s.label.length).toBeGreaterThan(0);
      expect(() => new URL(s.defaultUrl ?? s.exampleUrl.replace('…', 'x'))).not.toThrow();
    }
  });

  it('gives every type a request its receiver can take: a URL, JSON or NDJSON, and the credential where the spec says', () => {
    for (const s of DESTINATION_SPECS) {
      const url = s.defaultUrl ?? 'http://127.0.0.1:9/in';
      const req = buildRequest(s.type, url, 'native', [event], ['credential-0123456789'], { deliveryId: 'd1', now: Date.parse('2026-05-01T00:00:00Z') });
      expect(req.url.startsWith(url.replace(/\/+$/, ''))).toBe(true);
      for (const line of req.body.split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
      const carried = Object.values(req.headers).some((h) => h.includes('credential-0123456789') || h.includes(btoa('credential-0123456789:')) || /v1=[0-9a-f]{64}/.test(h));
      expect({ type: s.type, carried }).toEqual({ type: s.type, carried: s.credential !== null });
    }
  });

  it('masks a URL that is itself a secret, and only that', () => {
    const slack = destinationSpec('slack');
    expect(slack.maskUrl?.('https://hooks.slack.com/services/T000/B000/XXXX')).toBe('https://hooks.slack.com/services/…');
    expect(DESTINATION_SPECS.filter((s) => s.maskUrl).map((s) => s.type)).toEqual(['slack']);
  });
});
