import { addMember, call, createTenant, event, ownerClient, setPlan, startApp, type Tenant, type TestApp } from './harness';

let t: TestApp;
let acme: Tenant;
let globex: Tenant;

beforeAll(async () => {
  t = await startApp();
  acme = await createTenant(t, 'premium', 'Acme');
  globex = await createTenant(t, 'premium', 'Globex');
});
afterAll(() => t.close());

const post = (key: string, body: unknown, headers?: Record<string, string>) => call(t.url, 'POST', '/v1/events', { key, body, headers });
const list = (key: string, qs = '') => call(t.url, 'GET', `/v1/events${qs}`, { key });

async function countEvents(accountId: string): Promise<number> {
  const c = await ownerClient();
  try {
    const { rows } = await c.query('SELECT count(*)::int AS n FROM audit_events WHERE account_id = $1', [accountId]);
    return rows[0].n;
  } finally {
    await c.end();
  }
}

describe('ingest', () => {
  it('stores one event and answers 202 with its id once committed', async () => {
    const res = await post(acme.key, event({ action: 'smtp.update', occurred_at: '2026-01-02T03:04:05Z', context: { ip: '203.0.113.42', user_agent: 'UA' } }));
    expect(res.status).toBe(202);
    expect(res.body.ids).toHaveLength(1);
    const got = await call(t.url, 'GET', `/v1/events/${res.body.ids[0]}`, { key: acme.key });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: res.body.ids[0], account_id: acme.accountId, workspace_id: null, scope: 'account', action: 'smtp.update', category: 'settings',
      occurred_at: '2026-01-02T03:04:05.000Z', actor_type: 'user', actor_id: 'u_1', actor_email: 'alice@acme.com', ip: '203.0.113.42', user_agent: 'UA', outcome: 'success',
    });
  });

  it('stores a batch whole and keeps the order of ids', async () => {
    const events = Array.from({ length: 25 }, (_, i) => event({ action: `batch.item_${i}` }));
    const res = await post(acme.key, { events });
    expect(res.status).toBe(202);
    expect(res.body.ids).toHaveLength(25);
    const second = await call(t.url, 'GET', `/v1/events/${res.body.ids[1]}`, { key: acme.key });
    expect(second.body.action).toBe('batch.item_1');
  });

  it('rejects a batch with one bad event, names its path, and stores nothing', async () => {
    const before = await countEvents(acme.accountId);
    const events = [event(), event(), event(), event({ action: 'Not An Action' }), event({ context: { ip: '999.1.1.1' } })];
    const res = await post(acme.key, { events });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['events[3].action', 'events[4].context.ip']));
    expect(await countEvents(acme.accountId)).toBe(before);
  });

  it.each([
    ['unknown field', { ...event(), colour: 'red' }, 'colour'],
    ['missing actor', { action: 'a.b' }, 'actor'],
    ['bad actor type', event({ actor: { type: 'robot' } }), 'actor.type'],
    ['future timestamp', event({ occurred_at: new Date(Date.now() + 10 * 60_000).toISOString() }), 'occurred_at'],
    ['ancient timestamp', event({ occurred_at: '2001-01-01T00:00:00Z' }), 'occurred_at'],
    ['not RFC 3339', event({ occurred_at: 'yesterday' }), 'occurred_at'],
    ['invalid ip', event({ context: { ip: '10.0.0' } }), 'context.ip'],
    ['deep metadata', event({ metadata: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } }), 'metadata'],
    ['large metadata', event({ metadata: { blob: 'x'.repeat(33 * 1024) } }), 'metadata'],
    ['long action', event({ action: 'a.' + 'b'.repeat(130) }), 'action'],
  ])('422 for %s', async (_label, body, path) => {
    const before = await countEvents(acme.accountId);
    const res = await post(acme.key, body);
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await countEvents(acme.accountId)).toBe(before);
  });

  it('stores every character of every field exactly as sent (the COPY text the writer builds escapes them)', async () => {
    const tricky = 'tab\there, back\\slash \\N, quote \' and "double", newline\nand CR\r, ünïcødé 🚀, \\t literal';
    const metadata = { text: tricky, nested: { path: 'C:\\temp\\new', empty: '', nul: null, list: ['\\', '\t', 1.5, true] } };
    const changes = { before: { name: 'a\tb' }, after: { name: 'a\\tb' } };
    const sent = event({
      action: 'document.update',
      actor: { type: 'user', id: `u\\${tricky.length}`, email: 'odd@acme.com', name: tricky },
      target: { type: 'document', id: 'd\\1\t2', name: '\\N' },
      context: { ip: '2001:db8::1', user_agent: 'agent\\with\\backslashes' },
      metadata,
      changes,
    });
    // Alone (a small flush: one round trip, JSON) and inside 150 events (a large one: COPY through the staging table).
    for (const events of [[sent], [...Array.from({ length: 149 }, () => event()), sent]]) {
      const res = await call(t.url, 'POST', '/v1/events', { key: acme.key, body: { events } });
      expect(res.status).toBe(202);
      const stored = (await call(t.url, 'GET', `/v1/events/${res.body.ids[events.length - 1]}`, { key: acme.key })).body;
      expect(stored).toMatchObject({ actor_id: sent.actor.id, actor_name: tricky, target_id: 'd\\1\t2', target_name: '\\N', ip: '2001:db8::1', user_agent: 'agent\\with\\backslashes', metadata, changes });
    }
  });

  it('keeps idempotency through large flushes: the same 150 keyed events sent twice at once are stored once', async () => {
    const batch = Array.from({ length: 150 }, (_, i) => event({ idempotency_key: `large-${acme.accountId}-${i}` }));
    const [a, b] = await Promise.all([0, 1].map(() => call(t.url, 'POST', '/v1/events', { key: acme.key, body: { events: batch } })));
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.ids).toEqual(a.body.ids);
    const c = await ownerClient();
    try {
      const { rows } = await c.query('SELECT count(*)::int AS n, count(DISTINCT idempotency_key)::int AS keys FROM audit_events WHERE account_id = $1 AND idempotency_key LIKE $2', [acme.accountId, `large-${acme.accountId}-%`]);
      expect(rows[0]).toEqual({ n: 150, keys: 150 });
    } finally {
      await c.end();
    }
  });

  it('refuses more than 1,000 events in a batch', async () => {
    const res = await post(acme.key, { events: Array.from({ length: 1001 }, () => ({ action: 'a.b', actor: { type: 'system' } })) });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe('events');
  });

  it('answers 400 for malformed JSON, 415 for another content type, 413 past 1 MiB', async () => {
    const bad = await call(t.url, 'POST', '/v1/events', { key: acme.key, raw: '{"action": ', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const text = await call(t.url, 'POST', '/v1/events', { key: acme.key, raw: 'action=a.b', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const big = await call(t.url, 'POST', '/v1/events', { key: acme.key, raw: JSON.stringify({ events: [event({ metadata: { x: 'y'.repeat(1_100_000) } })] }), headers: { 'content-type': 'application/json' } });
    expect(big.status).toBe(413);
    const arr = await post(acme.key, [event()]);
    expect(arr.status).toBe(400);
  });

  it('redacts values under secret-looking keys, however deep', async () => {
    const res = await post(acme.key, event({ metadata: { smtp_host: 'smtp.example', password: 'hunter2', nested: { apiKey: 'k', list: [{ Authorization: 'Bearer x' }] } }, changes: { before: { client_secret: 'a' }, after: { client_secret: 'b', name: 'n' } } }));
    const got = await call(t.url, 'GET', `/v1/events/${res.body.ids[0]}`, { key: acme.key });
    expect(got.body.metadata).toEqual({ smtp_host: 'smtp.example', password: '[REDACTED]', nested: { apiKey: '[REDACTED]', list: [{ Authorization: '[REDACTED]' }] } });
    expect(got.body.changes).toEqual({ before: { client_secret: '[REDACTED]' }, after: { client_secret: '[REDACTED]', name: 'n' } });
  });

  it('never creates a second event for the same idempotency key (body, header, batch, concurrent)', async () => {
    const before = await countEvents(acme.accountId);
    const a = await post(acme.key, event({ idempotency_key: 'req-1' }));
    const b = await post(acme.key, event({ idempotency_key: 'req-1', action: 'other.thing' }));
    expect(b.body.ids).toEqual(a.body.ids);
    const h1 = await post(acme.key, event(), { 'idempotency-key': 'hdr-1' });
    const h2 = await post(acme.key, event(), { 'idempotency-key': 'hdr-1' });
    expect(h2.body.ids).toEqual(h1.body.ids);
    const batch = await post(acme.key, { events: [event({ idempotency_key: 'b-1' }), event({ idempotency_key: 'b-1' }), event({ idempotency_key: 'req-1' })] });
    expect(batch.body.ids[0]).toBe(batch.body.ids[1]);
    expect(batch.body.ids[2]).toBe(a.body.ids[0]);
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => post(acme.key, event({ idempotency_key: 'race-1' }))));
    expect(new Set(concurrent.map((r) => r.body.ids[0])).size).toBe(1);
    expect(await countEvents(acme.accountId)).toBe(before + 4);
    // The same key in another account is another event.
    const other = await post(globex.key, event({ idempotency_key: 'req-1' }));
    expect(other.body.ids).not.toEqual(a.body.ids);
  });

  it('creates the partition a backfilled event needs', async () => {
    const old = new Date(Date.now() - 9 * 365 * 86_400_000).toISOString();
    const res = await post(acme.key, event({ occurred_at: old, action: 'backfill.old' }));
    expect(res.status).toBe(202);
    const got = await call(t.url, 'GET', `/v1/events/${res.body.ids[0]}`, { key: acme.key });
    expect(got.body.occurred_at).toBe(new Date(Date.parse(old)).toISOString());
  });

  it('puts a bound key’s events in its workspace and refuses another workspace', async () => {
    const ws = await call(t.url, 'POST', '/v1/workspaces', { key: acme.key, body: { name: 'Staging' } });
    const bound = await call(t.url, 'POST', '/v1/api-keys', { key: acme.key, body: { name: 'bound', scopes: ['events:write', 'events:read'], workspace_id: ws.body.id } });
    const res = await post(bound.body.key, event({ action: 'bound.write' }));
    expect(res.status).toBe(202);
    const got = await call(t.url, 'GET', `/v1/events/${res.body.ids[0]}`, { key: acme.key });
    expect(got.body.workspace_id).toBe(ws.body.id);
    expect(got.body.scope).toBe('workspace');
    const wrong = await post(bound.body.key, event({ workspace_id: acme.workspaceId }));
    expect(wrong.status).toBe(403);
    const accountLog = await list(bound.body.key, '?scope=account');
    expect(accountLog.status).toBe(403);
    // Its log holds its event, and the record of the owner opening it (event.viewed, written into the entry's own log).
    const own = await list(bound.body.key, '?scope=workspace');
    expect(own.body.entries.map((e: { action: string }) => e.action)).toEqual(['event.viewed', 'bound.write']);
    expect(own.body.entries[1].id).toBe(res.body.ids[0]);
  });

  it('refuses a workspace id from another account with 422 and stores nothing', async () => {
    const res = await post(acme.key, event({ workspace_id: globex.workspaceId }));
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe('workspace_id');
  });

  it('needs the events:write scope and a valid key', async () => {
    const readOnly = await call(t.url, 'POST', '/v1/api-keys', { key: acme.key, body: { name: 'ro', scopes: ['events:read'] } });
    expect((await post(readOnly.body.key, event())).status).toBe(403);
    expect((await post('atk_not-a-real-key', event())).status).toBe(401);
    expect((await call(t.url, 'POST', '/v1/events', { body: event() })).status).toBe(401);
  });
});

describe('query', () => {
  let tenant: Tenant;
  let wsA: string;
  beforeAll(async () => {
    tenant = await createTenant(t, 'premium', 'Query Co');
    wsA = (await call(t.url, 'POST', '/v1/workspaces', { key: tenant.key, body: { name: 'A' } })).body.id;
    const base = Date.now() - 3600_000;
    const at = (m: number) => new Date(base + m * 60_000).toISOString();
    await post(tenant.key, {
      events: [
        { action: 'document.create', occurred_at: at(1), actor: { type: 'user', id: 'u_alice', email: 'alice@acme.com', name: 'Alice' }, target: { type: 'document', id: 'd1', name: 'Plan' }, context: { ip: '203.0.113.5' } },
        { action: 'document.delete', occurred_at: at(2), actor: { type: 'user', id: 'u_bob', email: 'bob@acme.com', name: 'Bob' }, target: { type: 'document', id: 'd1' }, context: { ip: '198.51.100.7' }, outcome: 'failure' },
        { action: 'member.invited', occurred_at: at(3), actor: { type: 'user', id: 'u_alice', email: 'alice@acme.com' }, context: { ip: '203.0.113.99' }, metadata: { invitee: 'carol@example.org' } },
        { action: 'smtp.update', occurred_at: at(4), actor: { type: 'api_key', id: 'k_1' }, context: { ip: '2001:db8::1' }, metadata: { smtp_host: 'smtp.mailgun.org' } },
        { action: 'document.create', occurred_at: at(5), workspace_id: wsA, actor: { type: 'user', id: 'u_alice' } },
      ],
    });
  });

  const actions = (res: { body: { entries: { action: string }[] } }) => res.body.entries.map((e) => e.action);
  const userEvents = '&action=document.create&action=document.delete&action=member.invited&action=smtp.update';

  it('lists the account log newest first with the window', async () => {
    const res = await list(tenant.key, `?${userEvents.slice(1)}`);
    expect(res.status).toBe(200);
    expect(actions(res)).toEqual(['smtp.update', 'member.invited', 'document.delete', 'document.create']);
    expect(res.body.window.clamped).toBe(false);
    expect(res.body.next_cursor).toBeNull();
  });

  it.each([
    ['actor_id=u_alice', ['member.invited', 'document.create']],
    ['actor_email=BOB@acme.com', ['document.delete']],
    ['ip=203.0.113.5', ['document.create']],
    ['ip=203.0.113.0/24', ['member.invited', 'document.create']],
    ['ip=2001:db8::/32', ['smtp.update']],
    ['category=members', ['member.invited']],
    ['category=settings&category=members', ['smtp.update', 'member.invited']],
    ['action=document.*', ['document.delete', 'document.create']],
    ['target_type=document&target_id=d1', ['document.delete', 'document.create']],
    ['outcome=failure', ['document.delete']],
    ['q=mailgun', ['smtp.update']],
    ['q=carol', ['member.invited']],
    ['q=Bob', ['document.delete']],
  ])('filters by %s', async (qs, expected) => {
    const res = await list(tenant.key, `?${qs}${qs.startsWith('action=') ? '' : userEvents}`);
    expect(res.status).toBe(200);
    expect(actions(res)).toEqual(expected);
  });

  it('reads a workspace log apart from the account log', async () => {
    const ws = await list(tenant.key, `?scope=workspace&workspace_id=${wsA}`);
    expect(actions(ws)).toEqual(['document.create']);
    const all = await list(tenant.key, '?scope=workspace');
    expect(actions(all)).toEqual(['document.create']);
    // Another tenant's workspace is answered like a made-up one: 400, naming workspace_id.
    const foreign = await list(tenant.key, `?scope=workspace&workspace_id=${globex.workspaceId}`);
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors[0].path).toBe('workspace_id');
  });

  it.each([
    ['limit=0'], ['limit=501'], ['limit=abc'], ['cursor=garbage!'], ['cursor=' + Buffer.from('v1|x|y').toString('base64url')],
    ['from=yesterday'], ['ip=300.1.1.1'], ['scope=galaxy'], ['colour=red'], ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'],
  ])('400 for %s', async (qs) => {
    const res = await list(tenant.key, `?${qs}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('pages with keyset cursors without skipping or repeating while events arrive', async () => {
    const pager = await createTenant(t, 'premium', 'Pager');
    const start = Date.now() - 600_000;
    const initial = Array.from({ length: 120 }, (_, i) => ({ action: 'page.item', occurred_at: new Date(start + Math.floor(i / 3) * 1000).toISOString(), actor: { type: 'system' }, metadata: { n: i } }));
    await post(pager.key, { events: initial });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(pager.key, `?action=page.item&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.entries.map((e: { id: string }) => e.id));
      cursor = res.body.next_cursor;
      // New events keep arriving, newer than anything being paged.
      await post(pager.key, event({ action: 'page.item' }));
      pages++;
    } while (cursor && pages < 100);
    const ids = new Set(seen);
    expect(ids.size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(120);
    const c = await ownerClient();
    const { rows } = await c.query(`SELECT id FROM audit_events WHERE account_id = $1 AND occurred_at < $2`, [pager.accountId, new Date(start + 60_000).toISOString()]);
    await c.end();
    for (const r of rows) expect(ids.has(r.id)).toBe(true);
  });

  it('clamps `from` to the plan view window and says so; Premium does not', async () => {
    const ess = await createTenant(t, 'essentials', 'Essentials Co');
    const old = new Date(Date.now() - 60 * 86_400_000).toISOString();
    const recent = new Date(Date.now() - 86_400_000).toISOString();
    const stored = await post(ess.key, { events: [event({ action: 'old.one', occurred_at: old }), event({ action: 'new.one', occurred_at: recent })] });
    const res = await list(ess.key, `?from=${encodeURIComponent(new Date(Date.now() - 90 * 86_400_000).toISOString())}&action=old.one&action=new.one`);
    expect(res.body.window.clamped).toBe(true);
    expect(actions(res)).toEqual(['new.one']);
    const outside = await call(t.url, 'GET', `/v1/events/${stored.body.ids[0]}`, { key: ess.key });
    expect(outside.status).toBe(403);
    expect(outside.body.type).toMatch(/\/plan-limit$/);
    expect(outside.body.detail).toContain('Essentials shows the last 30 days');
    await setPlan(t, ess.accountId, 'premium');
    const after = await list(ess.key, `?from=${encodeURIComponent(new Date(Date.now() - 90 * 86_400_000).toISOString())}&action=old.one&action=new.one`);
    expect(after.body.window.clamped).toBe(false);
    expect(actions(after)).toEqual(['new.one', 'old.one']);
    expect((await call(t.url, 'GET', `/v1/events/${stored.body.ids[0]}`, { key: ess.key })).status).toBe(200);
    // A downgrade shrinks the window at once (the operator call forgets cached keys in this process).
    await setPlan(t, ess.accountId, 'essentials');
    expect((await call(t.url, 'GET', `/v1/events/${stored.body.ids[0]}`, { key: ess.key })).status).toBe(403);
    const again = await list(ess.key, `?from=${encodeURIComponent(new Date(Date.now() - 90 * 86_400_000).toISOString())}&action=old.one&action=new.one`);
    expect(again.body.window.clamped).toBe(true);
  });

  it('hides the log again when the account falls back to free, and records nothing more', async () => {
    const t2 = await createTenant(t, 'premium', 'Lapsing Co');
    expect((await list(t2.key)).status).toBe(200);
    await setPlan(t, t2.accountId, 'free');
    expect((await list(t2.key)).status).toBe(404);
    expect((await post(t2.key, event())).status).toBe(404);
    const before = await countEvents(t2.accountId);
    await call(t.url, 'POST', '/v1/workspaces', { key: t2.key, body: { name: 'Unaudited' } });
    expect(await countEvents(t2.accountId)).toBe(before);
  });

  it('lets a workspace admin read only their workspaces, and a member nothing', async () => {
    const wsAdmin = await addMember(t, tenant, 'member', [wsA]);
    const plain = await addMember(t, tenant, 'member');
    expect((await call(t.url, 'GET', `/v1/events?scope=workspace&workspace_id=${wsA}`, { session: wsAdmin.session })).status).toBe(200);
    expect((await call(t.url, 'GET', '/v1/events?scope=account', { session: wsAdmin.session })).status).toBe(403);
    expect((await call(t.url, 'GET', '/v1/events', { session: plain.session })).status).toBe(403);
  });

  it('gives one event by id, 404 for a foreign tenant or an unknown id', async () => {
    const res = await post(tenant.key, event({ action: 'lookup.me' }));
    const id = res.body.ids[0];
    expect((await call(t.url, 'GET', `/v1/events/${id}`, { key: tenant.key })).status).toBe(200);
    expect((await call(t.url, 'GET', `/v1/events/${id}`, { key: globex.key })).status).toBe(404);
    expect((await call(t.url, 'GET', `/v1/events/not-an-id`, { key: tenant.key })).status).toBe(404);
    expect((await call(t.url, 'GET', `/v1/events/00000000-0000-4000-8000-000000000000`, { key: tenant.key })).status).toBe(404);
    const other = await list(globex.key, '?action=lookup.me');
    expect(other.body.entries).toEqual([]);
  });

  it('counts the filtered log per hour and per day, zero-filled, in the viewer\'s zone; 404 for another tenant', async () => {
    const act = await createTenant(t, 'premium', 'Activity Co');
    const day = (d: number, h: number) => new Date(Date.UTC(2026, 9, d, h, 30)).toISOString();
    await post(act.key, {
      events: [
        event({ action: 'chart.a', occurred_at: day(10, 1), context: { ip: '203.0.113.1' } }),
        event({ action: 'chart.a', occurred_at: day(10, 1), context: { ip: '198.51.100.1' } }),
        event({ action: 'chart.b', occurred_at: day(10, 3) }),
        event({ action: 'chart.a', occurred_at: day(12, 23) }),
      ],
    });
    const q = (qs: string, key = act.key) => call(t.url, 'GET', `/v1/events/activity?action=chart.a&action=chart.b&${qs}`, { key });
    const hours = await q(`from=${day(10, 0)}&to=${day(10, 4)}`);
    expect(hours.status).toBe(200);
    expect(hours.body.interval).toBe('hour');
    expect(hours.body.buckets.map((b: { start: string; count: number }) => [b.start.slice(11, 13), b.count])).toEqual([['00', 0], ['01', 2], ['02', 0], ['03', 1], ['04', 0]]);
    // Same filters as the table: the IP filter counts one of the two 01:30 events.
    const filtered = await q(`from=${day(10, 0)}&to=${day(10, 4)}&ip=203.0.113.0/24`);
    expect(filtered.body.buckets.map((b: { count: number }) => b.count)).toEqual([0, 1, 0, 0, 0]);
    const days = await q(`from=${day(9, 0)}&to=${day(13, 0)}`);
    expect(days.body.interval).toBe('day');
    expect(days.body.buckets.map((b: { count: number }) => b.count)).toEqual([0, 3, 0, 1, 0]);
    // In Tokyo (UTC+9) the 23:30 UTC event of the 12th falls on the 13th.
    const tokyo = await q(`from=${day(9, 0)}&to=${day(13, 0)}&tz=Asia/Tokyo`);
    expect(tokyo.body.time_zone).toBe('Asia/Tokyo');
    expect(tokyo.body.buckets.map((b: { start: string; count: number }) => [b.start, b.count])).toEqual([
      ['2026-10-08T15:00:00.000Z', 0], ['2026-10-09T15:00:00.000Z', 3], ['2026-10-10T15:00:00.000Z', 0], ['2026-10-11T15:00:00.000Z', 0], ['2026-10-12T15:00:00.000Z', 1],
    ]);
    // Bad input: a clear 400 naming the parameter, like every query parameter.
    const badZone = await q('tz=Mars/Olympus');
    expect(badZone.status).toBe(400);
    expect(badZone.body.errors[0].path).toBe('tz');
    const tooMany = await q(`from=${day(1, 0)}&to=${new Date(Date.UTC(2026, 11, 1)).toISOString()}&interval=hour`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.detail).toContain('interval=day');
    // Another tenant sees only its own (empty) log, and never a workspace of this one.
    const foreign = await q(`from=${day(9, 0)}&to=${day(13, 0)}`, globex.key);
    expect(foreign.body.buckets.map((b: { count: number }) => b.count)).toEqual([0, 0, 0, 0, 0]);
    expect((await call(t.url, 'GET', `/v1/events/activity?scope=workspace&workspace_id=${act.workspaceId}`, { key: globex.key })).status).toBe(400);
  });

  it('keeps the chart inside the plan view window', async () => {
    const ess = await createTenant(t, 'essentials', 'Chart Window Co');
    const res = await call(t.url, 'GET', `/v1/events/activity?from=${encodeURIComponent(new Date(Date.now() - 90 * 86_400_000).toISOString())}`, { key: ess.key });
    expect(res.status).toBe(200);
    expect(res.body.window.clamped).toBe(true);
    expect(res.body.buckets.length).toBeLessThanOrEqual(31);
    expect(Date.parse(res.body.buckets[0].start)).toBeGreaterThanOrEqual(Date.now() - 31 * 86_400_000);
    // The platform's own events of today are counted.
    expect(res.body.buckets.at(-1).count).toBeGreaterThan(0);
  });

  it('describes the catalog with counts', async () => {
    const res = await call(t.url, 'GET', '/v1/catalog', { key: tenant.key });
    expect(res.status).toBe(200);
    const docs = res.body.categories.find((c: { id: string }) => c.id === 'content');
    expect(docs.actions.find((a: { action: string }) => a.action === 'document.create').count).toBe(2);
    const keys = res.body.categories.find((c: { id: string }) => c.id === 'api_keys');
    expect(keys.actions.map((a: { action: string }) => a.action)).toContain('api_key.created');
  });

  it('counts in the catalog only what the caller may read (a bound key, a workspace admin)', async () => {
    const cat = await createTenant(t, 'premium', 'Catalog Co');
    const wsA = (await call(t.url, 'POST', '/v1/workspaces', { key: cat.key, body: { name: 'A' } })).body.id;
    const wsB = (await call(t.url, 'POST', '/v1/workspaces', { key: cat.key, body: { name: 'B' } })).body.id;
    const send = (events: unknown[]) => call(t.url, 'POST', '/v1/events', { key: cat.key, body: { events } });
    await send([event({ action: 'vault.opened' }), event({ action: 'vault.opened' }), event({ action: 'doc.edit', workspace_id: wsA }), event({ action: 'doc.edit', workspace_id: wsA }), event({ action: 'doc.edit', workspace_id: wsB })]);
    const bound = (await call(t.url, 'POST', '/v1/api-keys', { key: cat.key, body: { name: 'A only', scopes: ['events:read'], workspace_id: wsA } })).body.key;
    const admin = await addMember(t, cat, 'member', [wsB]);
    const countOf = (body: { categories: { actions: { action: string; count: number }[] }[] }, action: string) =>
      body.categories.flatMap((c) => c.actions).find((a) => a.action === action)?.count ?? 0;
    const owner = (await call(t.url, 'GET', '/v1/catalog', { key: cat.key })).body;
    expect([countOf(owner, 'vault.opened'), countOf(owner, 'doc.edit')]).toEqual([2, 3]);
    const a = (await call(t.url, 'GET', '/v1/catalog', { key: bound })).body;
    expect([countOf(a, 'vault.opened'), countOf(a, 'doc.edit')]).toEqual([0, 2]);
    const b = (await call(t.url, 'GET', '/v1/catalog', { session: admin.session })).body;
    expect([countOf(b, 'vault.opened'), countOf(b, 'doc.edit')]).toEqual([0, 1]);
  });
});

describe('licensing', () => {
  it('hides every event route for an account without the audit log, exactly like an unknown route', async () => {
    const free = await createTenant(t, 'free', 'Free Co');
    const unknown = await call(t.url, 'GET', '/v1/nothing-here', { key: free.key });
    for (const [method, path] of [['GET', '/v1/events'], ['POST', '/v1/events'], ['GET', '/v1/catalog'], ['GET', '/v1/events/activity'], ['GET', '/v1/events/01a204a3-6026-79d8-9680-cfdb4f7fe340']] as const) {
      const res = await call(t.url, method, path, { key: free.key, body: method === 'POST' ? event() : undefined });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ ...unknown.body, detail: `No route matches ${method} ${path.split('?')[0]}.` });
      expect(res.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
    }
    expect(await countEvents(free.accountId)).toBe(0);
  });
});
