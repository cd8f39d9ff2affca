import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReadAuditService } from '../src/self-audit/read-audit.service';
import { call, createTenant, event, startApp, type Tenant, type TestApp } from './harness';

// Reads of the evidence are recorded: one entry opened at once, a log read
// once per reader, log and filters per 15 minutes — across API processes.

let a: TestApp;
let b: TestApp;
let acme: Tenant;
let globex: Tenant;
const env = { QUEUE_PREFIX: `test-reads-${randomUUID().slice(0, 8)}` };

beforeAll(async () => {
  a = await startApp(env);
  b = await startApp(env);
  acme = await createTenant(a, 'premium', 'Acme');
  globex = await createTenant(a, 'premium', 'Globex');
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

const entries = async (t: Tenant, qs: string) => (await call(a.url, 'GET', `/v1/events?${qs}`, { key: t.key })).body.entries as Record<string, any>[];

describe('audited reads', () => {
  it('records opening one entry (event.viewed) with its reader, in the entry’s log', async () => {
    const ws = (await call(a.url, 'POST', '/v1/workspaces', { key: acme.key, body: { name: 'Reads' } })).body.id;
    const id = (await call(a.url, 'POST', '/v1/events', { key: acme.key, body: event({ action: 'secret.read', workspace_id: ws }) })).body.ids[0];
    expect((await call(a.url, 'GET', `/v1/events/${id}`, { session: acme.owner, headers: { 'user-agent': 'Reader/1' } })).status).toBe(200);
    const viewed = await entries(acme, `scope=workspace&workspace_id=${ws}&action=event.viewed`);
    expect(viewed).toHaveLength(1);
    expect(viewed[0]).toMatchObject({ source: 'platform', actor_type: 'user', actor_email: acme.email, target_type: 'event', target_id: id, user_agent: 'Reader/1', category: 'access' });
    // Another tenant's 404 records nothing for anyone.
    expect((await call(a.url, 'GET', `/v1/events/${id}`, { key: globex.key })).status).toBe(404);
    expect(await entries(globex, 'action=event.viewed')).toHaveLength(0);
  });

  it('records a log read once per reader, log and filters per window, with the pages read, across two API processes', async () => {
    const t = await createTenant(a, 'premium', 'Pager');
    await call(a.url, 'POST', '/v1/events', { key: t.key, body: { events: Array.from({ length: 5 }, (_, i) => event({ action: 'page.item', metadata: { i } })) } });
    // Three pages of one filter set, alternating between the two processes; one page of another.
    let cursor = '';
    for (const [i, app] of [a, b, a].entries()) {
      const res = await call(app.url, 'GET', `/v1/events?action=page.item&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key: t.key });
      expect([i, res.status]).toEqual([i, 200]);
      cursor = res.body.next_cursor ?? '';
    }
    await call(b.url, 'GET', '/v1/events?action=other.thing', { key: t.key });
    expect(await entries(t, 'action=log.viewed')).toHaveLength(0); // the window is still open
    // The windows close: whichever process sweeps first writes them, once.
    const later = Date.now() + 16 * 60_000;
    const [fromA, fromB] = await Promise.all([a.app.get(ReadAuditService).sweep(later), b.app.get(ReadAuditService).sweep(later)]);
    expect(fromA + fromB).toBeGreaterThanOrEqual(2);
    // (Reading the log.viewed entries is itself a read, with its own window.)
    const mine = async () => (await entries(t, 'action=log.viewed')).filter((e) => e.metadata.filters.action[0] !== 'log.viewed');
    const logged = await mine();
    expect(logged).toHaveLength(2);
    const byFilter = Object.fromEntries(logged.map((e) => [JSON.stringify(e.metadata.filters.action), e]));
    expect(byFilter['["page.item"]']).toMatchObject({ actor_type: 'api_key', source: 'platform', metadata: { pages: 3, filters: { action: ['page.item'], log: 'account' } } });
    expect(byFilter['["other.thing"]'].metadata.pages).toBe(1);
    // Nothing is written twice.
    await a.app.get(ReadAuditService).sweep(later);
    expect(await mine()).toHaveLength(2);
  });

  it('records verification, proof downloads and destination tests with what they found', async () => {
    const t = await createTenant(a, 'premium', 'Checker');
    const v = await call(a.url, 'POST', '/v1/integrity/verify', { key: t.key, body: {} });
    expect(v.status).toBe(200);
    const [verified] = await entries(t, 'action=integrity.verified');
    expect(verified).toMatchObject({ source: 'platform', metadata: { ok: v.body.ok, checked: v.body.checked, pending: v.body.pending } });
    // A receiver this test starts on loopback, answering 503.
    const receiver = createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const d = await call(a.url, 'POST', '/v1/destinations', { key: t.key, body: { type: 'webhook', name: 'down', url, secret: 'a-webhook-secret-123' } });
      expect((await call(a.url, 'POST', `/v1/destinations/${d.body.id}/test`, { key: t.key })).status).toBe(200);
      const [tested] = await entries(t, 'action=destination.tested');
      expect(tested).toMatchObject({ target_id: d.body.id, metadata: { ok: false, status_code: 503 } });
    } finally {
      receiver.close();
    }
  });
});
