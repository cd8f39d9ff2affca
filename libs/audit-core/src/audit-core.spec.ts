import { categoryOf } from './catalog';
import { decodeCursor, encodeCursor } from './cursor';
import { eventBatchSchema, eventInputSchema, eventQuerySchema } from './event.schema';
import { isUuid, uuidv7At, uuidv7Time } from './ids';
import { normalizeIp, normalizeIpOrCidr } from './ip';
import { normalizeEvent } from './normalize';
import { issuesToFieldErrors } from './problem';
import { isSecretKey, redact } from './redact';
import { jsonDepth } from './text-hygiene';

describe('catalog', () => {
  it('puts actions in categories by their first segment', () => {
    expect(categoryOf('api_key.created')).toBe('api_keys');
    expect(categoryOf('user.login')).toBe('members');
    expect(categoryOf('member.invited')).toBe('members');
    expect(categoryOf('smtp.update')).toBe('settings');
    expect(categoryOf('rocket.launch')).toBe('custom');
    expect(categoryOf('rocket.launch', new Map([['rocket.launch', 'space']]))).toBe('space');
  });
});

describe('redaction', () => {
  it('recognises secret-looking keys in any spelling', () => {
    for (const k of ['password', 'Password', 'db_password', 'secret', 'clientSecret', 'token', 'access_token', 'api_key', 'apiKey', 'API-KEY', 'authorization', 'Cookie', 'private_key']) {
      expect([k, isSecretKey(k)]).toEqual([k, true]);
    }
    for (const k of ['smtp_host', 'author', 'name', 'email', 'passenger']) expect([k, isSecretKey(k)]).toEqual([k, false]);
  });

  it('replaces values at any depth, in arrays too', () => {
    expect(redact({ a: 1, token: { x: 1 }, list: [{ password: 'p', ok: true }] })).toEqual({ a: 1, token: '[REDACTED]', list: [{ password: '[REDACTED]', ok: true }] });
    expect(jsonDepth({ a: { b: {} } })).toBe(3);
  });
});

describe('ids', () => {
  it('encodes the occurred_at millisecond in a UUIDv7', () => {
    const t = Date.parse('2026-04-30T14:22:11.123Z');
    const id = uuidv7At(t);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(uuidv7Time(id)).toBe(t);
    expect(uuidv7Time('00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(uuidv7At(t + 1) > id).toBe(true);
  });

  it('keeps ids of the same millisecond in creation order', () => {
    const t = Date.parse('2026-04-30T14:22:11.123Z');
    const ids = Array.from({ length: 500 }, () => uuidv7At(t));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(500);
    for (const id of ids) expect(uuidv7Time(id)).toBe(t);
  });

  it('draws fresh random bits for every new millisecond, across refills of its random pool', () => {
    // 5,000 milliseconds take 50,000 random bytes: the 4 KiB pool is refilled a dozen times.
    const t = Date.parse('2026-04-30T14:22:11.123Z');
    const ids = Array.from({ length: 5000 }, (_, i) => uuidv7At(t + i));
    const tails = ids.map((id) => id.slice(19));
    expect(new Set(tails).size).toBe(5000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('cursor', () => {
  it('round-trips and refuses anything else', () => {
    const pos = { occurredAt: '2026-04-30T14:22:11.123Z', id: uuidv7At(1) };
    expect(decodeCursor(encodeCursor(pos))).toEqual(pos);
    expect(decodeCursor('garbage')).toBeNull();
    expect(decodeCursor(Buffer.from('v1|2026-01-01T00:00:00Z|nope').toString('base64url'))).toBeNull();
    expect(decodeCursor(Buffer.from('v2|2026-01-01T00:00:00Z|' + pos.id).toString('base64url'))).toBeNull();
  });
});

describe('ip', () => {
  it('accepts IPv4 and IPv6 in canonical form', () => {
    expect(normalizeIp('203.0.113.42')).toBe('203.0.113.42');
    expect(normalizeIp('2001:DB8::1')).toBe('2001:db8::1');
    expect(normalizeIp('::ffff:203.0.113.1')).toBe('203.0.113.1');
    expect(normalizeIp('10.0.0')).toBeNull();
    expect(normalizeIp('0x7f.1')).toBeNull();
    expect(normalizeIp('999.1.1.1')).toBeNull();
  });

  it('accepts CIDR ranges, normalised to the network', () => {
    expect(normalizeIpOrCidr('203.0.113.9/24')).toBe('203.0.113.0/24');
    expect(normalizeIpOrCidr('2001:db8::1/32')).toBe('2001:db8::/32');
    expect(normalizeIpOrCidr('10.0.0.0/33')).toBeNull();
    expect(normalizeIpOrCidr('10.0.0.0/x')).toBeNull();
  });
});

describe('event schema', () => {
  const ok = { action: 'smtp.update', actor: { type: 'user', id: 'u_1' } };

  it('accepts the contract example', () => {
    const r = eventInputSchema.safeParse({
      action: 'smtp.update', occurred_at: new Date().toISOString(), actor: { type: 'user', id: 'u_42', email: 'alice@acme.com', name: 'Alice' },
      target: { type: 'project', id: 'p_7', name: 'Newsletter' }, context: { ip: '203.0.113.42', user_agent: 'Mozilla/5.0' },
      metadata: { smtp_host: 'smtp.mailgun.org' }, changes: { before: { smtp_host: 'a' }, after: { smtp_host: 'b' } }, outcome: 'success', idempotency_key: 'req_1',
    });
    expect(r.success).toBe(true);
  });

  it('names the path of each problem in a batch', () => {
    const r = eventBatchSchema.safeParse({ events: [ok, ok, ok, { ...ok, action: 'Bad' }] });
    expect(r.success).toBe(false);
    if (!r.success) expect(issuesToFieldErrors(r.error.issues).map((e) => e.path)).toEqual(['events[3].action']);
  });

  it('names unknown fields at their own path', () => {
    const r = eventInputSchema.safeParse({ ...ok, extra: 1 });
    if (r.success) throw new Error('should fail');
    expect(issuesToFieldErrors(r.error.issues)).toEqual([{ path: 'extra', message: 'is not a known field' }]);
  });

  it('bounds time: 5 minutes ahead, 10 years back', () => {
    expect(eventInputSchema.safeParse({ ...ok, occurred_at: new Date(Date.now() + 4 * 60_000).toISOString() }).success).toBe(true);
    expect(eventInputSchema.safeParse({ ...ok, occurred_at: new Date(Date.now() + 6 * 60_000).toISOString() }).success).toBe(false);
    expect(eventInputSchema.safeParse({ ...ok, occurred_at: new Date(Date.now() - 11 * 365 * 86_400_000).toISOString() }).success).toBe(false);
    expect(eventInputSchema.safeParse({ ...ok, occurred_at: '2026-04-30T14:22:11+02:00' }).success).toBe(true);
  });

  it('reads repeated query parameters and bounds the limit', () => {
    const q = eventQuerySchema.parse({ action: ['a.b', 'c.d'], category: 'members', limit: '20' });
    expect(q).toMatchObject({ action: ['a.b', 'c.d'], category: ['members'], limit: 20, scope: 'account' });
    expect(eventQuerySchema.safeParse({ limit: '501' }).success).toBe(false);
    expect(eventQuerySchema.parse({}).limit).toBe(50);
  });
});

describe('normalizeEvent', () => {
  it('fills defaults, redacts, lower-cases the email and derives the category', () => {
    const receivedAt = new Date('2026-05-01T00:00:00.000Z');
    const r = normalizeEvent(
      eventInputSchema.parse({ action: 'api_key.created', actor: { type: 'user', email: 'Alice@Acme.com' }, metadata: { token: 't' } }),
      { accountId: 'acc', receivedAt, workspaceId: null },
    );
    expect(r).toMatchObject({ account_id: 'acc', occurred_at: receivedAt, category: 'api_keys', actor_email: 'alice@acme.com', outcome: 'success', metadata: { token: '[REDACTED]' } });
    expect(uuidv7Time(r.id)).toBe(receivedAt.getTime());
  });
});
