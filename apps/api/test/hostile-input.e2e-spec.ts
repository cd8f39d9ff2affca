import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { normalizeEvent } from '@audit-trail/audit-core';
import { Database } from '@audit-trail/data';
import { EventDataRejectedError, EventWriter } from '@audit-trail/engines';
import { call, createTenant, event, ownerClient, startApp, type Tenant, type TestApp } from './harness';

// Bad input fails only itself: a clear 4xx with the path, nothing stored,
// and nothing else (another request, another tenant) harmed.

let t: TestApp;
let acme: Tenant;
let globex: Tenant;

beforeAll(async () => {
  t = await startApp();
  acme = await createTenant(t, 'premium', 'Acme');
  globex = await createTenant(t, 'premium', 'Globex');
});
afterAll(() => t.close());

async function countEvents(accountId: string): Promise<number> {
  const c = await ownerClient();
  try {
    const { rows } = await c.query("SELECT count(*)::int AS n FROM audit_events WHERE account_id = $1 AND action NOT LIKE 'api_key.%'", [accountId]);
    return rows[0].n;
  } finally {
    await c.end();
  }
}

/** POST raw bytes to /v1/events. */
async function postRaw(key: string, body: string | Buffer, contentType = 'application/json') {
  const res = await fetch(`${t.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, contentType: res.headers.get('content-type') };
}

describe('text that cannot be stored is refused with its path', () => {
  const nested = (depth: number) => '{"action":"deep.nest","actor":{"type":"user"},"metadata":' + '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) + '}';
  it.each([
    ['a NUL in a value', JSON.stringify(event({ actor: { type: 'user', name: 'a\u0000b' } })), 'actor.name', /NUL/],
    ['a NUL in a metadata key', JSON.stringify(event({ metadata: { 'a\u0000b': 1 } })), 'metadata["a\\u0000b"]', /key .*NUL/],
    ['a lone surrogate', '{"action":"a.b","actor":{"type":"user","name":"\\ud800"}}', 'actor.name', /surrogate/],
    ['a lone surrogate in a key', '{"action":"a.b","actor":{"type":"user"},"metadata":{"\\udc00x":1}}', 'metadata["\\udc00x"]', /surrogate/],
    ['a number too large for JSON', '{"action":"a.b","actor":{"type":"user"},"metadata":{"n":1e400}}', 'metadata.n', /too large/],
    ['metadata nested 100,000 levels', nested(100_000), expect.stringMatching(/^metadata(\.a)+$/), /nested deeper/],
    ['metadata nested 9 levels', nested(9), 'metadata', /nested deeper than 8/],
  ])('%s: 422, nothing stored', async (_name, body, path, message) => {
    const before = await countEvents(acme.accountId);
    const res = await postRaw(acme.key, body);
    expect(res.status).toBe(422);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body.errors).toEqual([expect.objectContaining({ path, message: expect.stringMatching(message) })]);
    expect(await countEvents(acme.accountId)).toBe(before);
  });

  it('names the event of a batch that holds the bad text', async () => {
    const events = [event(), event(), event({ target: { type: 'doc', name: 'x\u0000' } })];
    const res = await call(t.url, 'POST', '/v1/events', { key: acme.key, body: { events } });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe('events[2].target.name');
  });

  it('refuses bytes that are not UTF-8 instead of storing U+FFFD', async () => {
    const before = await countEvents(acme.accountId);
    const body = Buffer.concat([Buffer.from('{"action":"a.b","actor":{"type":"user","name":"caf'), Buffer.from([0xe9]), Buffer.from('"}}')]);
    const res = await postRaw(acme.key, body);
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/UTF-8/);
    expect(await countEvents(acme.accountId)).toBe(before);
  });

  it('stores astral characters, combining marks and right-to-left text as sent', async () => {
    const name = 'e\u0301 \u{1F600} \u05E9\u05DC\u05D5\u05DD \u{10FFFF}';
    const res = await call(t.url, 'POST', '/v1/events', { key: acme.key, body: event({ actor: { type: 'user', name }, metadata: { ['\u{1F511}']: name } }) });
    expect(res.status).toBe(202);
    const got = await call(t.url, 'GET', `/v1/events/${res.body.ids[0]}`, { key: acme.key });
    expect(got.body.actor_name).toBe(name);
    expect(got.body.metadata).toEqual({ ['\u{1F511}']: name });
  });
});

describe('content types', () => {
  it('answers 415 for a form, plain text, or a body without a JSON type', async () => {
    expect((await postRaw(acme.key, 'action=a.b&actor=x', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await postRaw(acme.key, '{"action":"a.b"}', 'text/plain')).status).toBe(415);
    expect((await postRaw(acme.key, '<x/>', 'application/xml')).status).toBe(415);
  });

  it('takes a JSON content type on a request without a body (DELETE from a client that always sends it)', async () => {
    const key = await call(t.url, 'POST', '/v1/api-keys', { session: acme.owner, body: { name: 'to revoke', scopes: ['events:read'] } });
    const res = await fetch(`${t.url}/v1/api-keys/${key.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${acme.key}`, 'content-type': 'application/json' } });
    expect(res.status).toBe(204);
  });
});

describe('query parameters', () => {
  it.each([
    ['q=a%00b', 'q'],
    ['action=a%00.b', 'action'],
    ['q=%FF', 'q'],
    ['actor_id=%ED%A0%80', 'actor_id'],
    ['outcome=weird', 'outcome'],
    ['outcome_not=weird', 'outcome_not'],
    ['scope=galaxy', 'scope'],
  ])('400 for %s, naming %s', async (qs, path) => {
    const res = await call(t.url, 'GET', `/v1/events?${qs}`, { key: acme.key });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('400 for a workspace that is not the account’s, the same whether made up or another tenant’s', async () => {
    const madeUp = await call(t.url, 'GET', '/v1/events?scope=workspace&workspace_id=0190c0de-0000-7000-8000-000000000000', { key: acme.key });
    const foreign = await call(t.url, 'GET', `/v1/events?scope=workspace&workspace_id=${globex.workspaceId}`, { key: acme.key });
    expect(madeUp.status).toBe(400);
    expect(foreign.status).toBe(400);
    expect(foreign.body).toEqual(madeUp.body);
  });

  it('400 for NUL in the path', async () => {
    expect((await call(t.url, 'GET', '/v1/events/abc%00def', { key: acme.key })).status).toBe(400);
  });
});

describe('a flush fails only its culprit', () => {
  it('answers every good request 202 and stores it while bad ones from two tenants arrive at the same moment', async () => {
    const beforeAcme = await countEvents(acme.accountId);
    const beforeGlobex = await countEvents(globex.accountId);
    const good = (k: string, i: number) => call(t.url, 'POST', '/v1/events', { key: k, body: event({ action: 'burst.good', metadata: { i } }) });
    const bad = (k: string, i: number) => call(t.url, 'POST', '/v1/events', { key: k, body: event({ action: 'burst.bad', actor: { type: 'user', name: `x\u0000${i}` } }) });
    const requests: Promise<{ status: number }>[] = [];
    for (let i = 0; i < 40; i++) {
      requests.push(good(i % 2 ? acme.key : globex.key, i), bad(i % 2 ? globex.key : acme.key, i));
    }
    const statuses = (await Promise.all(requests)).map((r) => r.status);
    expect(statuses.filter((_s, i) => i % 2 === 0)).toEqual(Array(40).fill(202));
    expect(statuses.filter((_s, i) => i % 2 === 1)).toEqual(Array(40).fill(422));
    expect(await countEvents(acme.accountId)).toBe(beforeAcme + 20);
    expect(await countEvents(globex.accountId)).toBe(beforeGlobex + 20);
  });

  it('stores everyone else when PostgreSQL refuses one request of a shared flush (the writer retries apart)', async () => {
    const db = new Database(t.config.APP_DATABASE_URL, 4);
    const writer = new EventWriter(db, { maxConcurrentFlushes: 1 });
    try {
      const now = new Date();
      const rec = (accountId: string, name: string) => normalizeEvent({ action: 'writer.burst', actor: { type: 'user', name } }, { accountId, receivedAt: now, workspaceId: null });
      const beforeAcme = await countEvents(acme.accountId);
      const beforeGlobex = await countEvents(globex.accountId);
      // Past the edge's checks on purpose: NUL reaches PostgreSQL, which refuses it.
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => writer.write(i % 2 ? acme.accountId : globex.accountId, [rec(i % 2 ? acme.accountId : globex.accountId, i % 5 === 3 ? `bad\u0000${i}` : `good ${i}`)])),
      );
      results.forEach((r, i) => {
        if (i % 5 === 3) {
          expect(r.status).toBe('rejected');
          expect((r as PromiseRejectedResult).reason).toBeInstanceOf(EventDataRejectedError);
        } else expect(r.status).toBe('fulfilled');
      });
      const goodAcme = Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 2 === 1 && i % 5 !== 3).length;
      expect(await countEvents(acme.accountId)).toBe(beforeAcme + goodAcme);
      expect(await countEvents(globex.accountId)).toBe(beforeGlobex + 30 - 6 - goodAcme);
    } finally {
      await writer.drain();
      await db.close();
    }
  });
});

describe('client addresses', () => {
  it('ignores X-Forwarded-For unless TRUST_PROXY names the proxy: invented addresses neither dodge the limit nor reach the log', async () => {
    const app = await startApp({ AUTH_RATE_LIMIT_PER_MINUTE: '10', QUEUE_PREFIX: `test-xff-${randomUUID().slice(0, 8)}` });
    try {
      const tenant = await createTenant(app, 'premium');
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await call(app.url, 'POST', '/v1/auth/login', { body: { email: tenant.email, password: 'wrong password!' }, headers: { 'x-forwarded-for': `198.51.100.${i}` } });
        statuses.push(res.status);
      }
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      const failed = await call(app.url, 'GET', '/v1/events?action=auth.login_failed', { key: tenant.key });
      expect(failed.body.entries.length).toBeGreaterThan(0);
      for (const e of failed.body.entries) expect(e.ip).toBe('127.0.0.1');
      // The lock-out is recorded once for the window, however many refusals follow.
      const locked = await call(app.url, 'GET', '/v1/events?action=auth.locked_out', { key: tenant.key });
      expect(locked.body.entries).toEqual([expect.objectContaining({ actor_email: tenant.email, outcome: 'failure', source: 'platform', ip: '127.0.0.1', metadata: expect.objectContaining({ attempts_allowed: 10 }) })]);
    } finally {
      await app.close();
    }
  });

  it('believes X-Forwarded-For from a proxy TRUST_PROXY lists', async () => {
    const app = await startApp({ TRUST_PROXY: '127.0.0.1/8' });
    try {
      const tenant = await createTenant(app, 'premium');
      expect((await call(app.url, 'POST', '/v1/auth/login', { body: { email: tenant.email, password: 'wrong password!' }, headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(401);
      const failed = await call(app.url, 'GET', '/v1/events?action=auth.login_failed', { key: tenant.key });
      expect(failed.body.entries[0].ip).toBe('203.0.113.9');
    } finally {
      await app.close();
    }
  });

  it('refuses a TRUST_PROXY that is neither off, a hop count nor addresses', async () => {
    await expect(startApp({ TRUST_PROXY: 'true' })).rejects.toThrow(/TRUST_PROXY/);
    await expect(startApp({ TRUST_PROXY: '10.0.0.0/99' })).rejects.toThrow(/TRUST_PROXY/);
  });
});

describe('clients that hang up', () => {
  it('gives back the in-flight slot of a request whose client left before its answer', async () => {
    // Two slots. Two renames wait on a row lock the test holds; their clients hang up; then the lock goes.
    const small = await startApp({ MAX_IN_FLIGHT: '2' });
    const owner = await ownerClient();
    try {
      const x = await createTenant(small, 'premium', 'Hang-up Co');
      const ws = (await call(small.url, 'POST', '/v1/workspaces', { session: x.owner, body: { name: 'Held' } })).body.id as string;
      await owner.query('BEGIN');
      await owner.query('SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE', [ws]);
      // Raw sockets: the whole request is sent, then the client goes away before the answer.
      const body = JSON.stringify({ name: 'Renamed' });
      const { port } = new URL(small.url);
      const open = () => {
        const socket = connect(Number(port), '127.0.0.1');
        socket.on('error', () => undefined);
        const closed = new Promise((resolve) => socket.on('close', resolve));
        socket.write(
          [`PATCH /v1/workspaces/${ws} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'content-type: application/json', `content-length: ${Buffer.byteLength(body)}`, `cookie: ${x.owner.cookie}`, `x-csrf-token: ${x.owner.csrf}`, '', body].join('\r\n'),
        );
        return { socket, closed };
      };
      const renames = [open(), open()];
      // Both are in the handler, waiting on the lock: the slots are full.
      let status = 0;
      for (let i = 0; i < 50 && status !== 503; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await call(small.url, 'GET', '/v1/workspaces', { key: x.key })).status;
      }
      expect(status).toBe(503);
      for (const r of renames) r.socket.destroy();
      await Promise.all(renames.map((r) => r.closed));
      await new Promise((r) => setTimeout(r, 200));
      await owner.query('COMMIT');
      // The renames finish with nobody to answer; their slots must come back.
      status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await call(small.url, 'GET', '/v1/workspaces', { key: x.key })).status;
      }
      expect(status).toBe(200);
    } finally {
      await owner.query('ROLLBACK').catch(() => undefined);
      await owner.end();
      await small.close();
    }
  });
});
