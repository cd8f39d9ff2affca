import { verifySignature } from '@audit-trail/audit-core';
import { Database } from '@audit-trail/data';
import { deliverNext, SecretBox } from '@audit-trail/engines';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import {
  call,
  closeReceivers,
  createDestination,
  createTenant,
  ingestOrdered,
  ours,
  ownerClient,
  receiver as makeReceiver,
  setPlan,
  startApp,
  startWorker,
  stopChild,
  type Tenant,
  type TestApp,
  until,
  webhookIds,
} from './harness';

// The API in this process; the real worker as a child process delivers, on a fast tick.
const fast = { FORWARDING_ENABLED: 'true', FORWARDING_TICK_MS: '150', FORWARDING_BACKOFF_MS: '50', FORWARDING_TIMEOUT_MS: '1000', FORWARDING_LOCK_MS: '2000', WORKER_HEARTBEAT_MS: '500' };
const env = { QUEUE_PREFIX: `test-fwd-${randomUUID().slice(0, 8)}`, ...fast };
let t: TestApp;
let worker: ChildProcess;
const servers: Server[] = [];

beforeAll(async () => {
  t = await startApp(env);
  worker = await startWorker(env);
});
afterAll(async () => {
  if (worker) await stopChild(worker);
  await t?.close();
  closeReceivers(servers);
});

const receiver = (answer?: Parameters<typeof makeReceiver>[1]) => makeReceiver(servers, answer);
const ingest = (x: Tenant, n: number, action?: string, extra?: Record<string, unknown>) => ingestOrdered(t, x, n, action, extra);
const destination = (x: Tenant, body: Record<string, unknown>) => createDestination(t, x, body);

describe('webhooks', () => {
  let acme: Tenant;
  beforeAll(async () => {
    acme = await createTenant(t, 'enterprise', 'Acme');
  });

  it('delivers every event once, in order, signed, in batches of at most 100', async () => {
    const rx = await receiver();
    const d = await destination(acme, { type: 'webhook', name: 'SIEM', url: `${rx.url}/hook`, secret: 'whsec_0123456789abcdef', scope: 'account' });
    expect(d).not.toHaveProperty('secret');
    const ids = [...(await ingest(acme, 150)), ...(await ingest(acme, 30))];
    await until(() => ours(rx.accepted, ids).length, (n) => n >= ids.length);
    expect(ours(rx.accepted, ids)).toEqual(ids);
    for (const r of rx.accepted) {
      expect(JSON.parse(r.body).events.length).toBeLessThanOrEqual(100);
      expect(verifySignature(String(r.headers['audit-signature']), 'whsec_0123456789abcdef', r.body)).toBe(true);
      expect(r.headers['audit-delivery-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(rx.accepted.map((r) => r.headers['audit-delivery-id'])).size).toBe(rx.accepted.length);
    const ledger = await call(t.url, 'GET', `/v1/destinations/${d.id}/deliveries`, { key: acme.key });
    expect(ledger.body.data.length).toBe(rx.accepted.length);
    expect(ledger.body.data[0]).toMatchObject({ status_code: 200, ok: true, error: null });
    const sent = rx.accepted.reduce((s, r) => s + (JSON.parse(r.body) as { events: unknown[] }).events.length, 0);
    expect(ledger.body.data.reduce((s: number, r: { event_count: number }) => s + r.event_count, 0)).toBe(sent);
  });

  it('keeps order and loses nothing through failures: retries with backoff until the receiver recovers', async () => {
    const rx = await receiver((n) => (n <= 3 ? 500 : 200));
    const d = await destination(acme, { type: 'webhook', name: 'Flaky', url: rx.url, secret: 'whsec_flaky-0123456789' });
    const ids = await ingest(acme, 40);
    await until(() => ours(rx.accepted, ids).length, (n) => n >= 40);
    expect(ours(rx.accepted, ids)).toEqual(ids);
    expect(rx.requests.length).toBeGreaterThanOrEqual(4);
    const ledger = (await call(t.url, 'GET', `/v1/destinations/${d.id}/deliveries`, { key: acme.key })).body.data;
    expect(ledger.filter((r: { status_code: number }) => r.status_code === 500)).toHaveLength(3);
    expect(ledger[0]).toMatchObject({ ok: true });
    const after = (await call(t.url, 'GET', `/v1/destinations/${d.id}`, { key: acme.key })).body;
    expect(after).toMatchObject({ enabled: true, failing_since: null, last_error: null });
    await call(t.url, 'DELETE', `/v1/destinations/${d.id}`, { key: acme.key });
  });

  it('sends duplicates only where a 2xx was lost: a receiver that stores but times out gets that batch again', async () => {
    // The first request carrying this test's events is stored by the receiver but never answered
    // (timeout); the retry repeats it. (Earlier requests may carry only other events of the log.)
    let hung = false;
    const rx = await receiver((_n, r) => {
      if (hung || !r.body.includes('"slow.retry"')) return 200;
      hung = true;
      return 'hang';
    });
    const d = await destination(acme, { type: 'webhook', name: 'Slow', url: rx.url, secret: 'whsec_slow-0123456789ab' });
    const ids = await ingest(acme, 5, 'slow.retry');
    await until(() => ours(rx.accepted, ids).length, (n) => n >= 5, 30_000);
    expect(ours(rx.accepted, ids)).toEqual(ids);
    // What was sent: the lost batch, then the same events again.
    expect(ours(rx.requests, [...ids, ...ids])).toEqual([...ids, ...ids]);
    await call(t.url, 'DELETE', `/v1/destinations/${d.id}`, { key: acme.key });
  }, 60_000);

  it('disables a destination at once on 410, audits it, and resumes from its cursor when re-enabled', async () => {
    let gone = true;
    const rx = await receiver(() => (gone ? 410 : 200));
    const d = await destination(acme, { type: 'webhook', name: 'Gone', url: rx.url, secret: 'whsec_gone-0123456789ab' });
    const first = await ingest(acme, 3);
    const view = await until(
      async () => (await call(t.url, 'GET', `/v1/destinations/${d.id}`, { key: acme.key })).body,
      (b) => b.enabled === false,
    );
    expect(view.disabled_reason).toMatch(/410/);
    const log = await until(
      async () => (await call(t.url, 'GET', '/v1/events?action=destination.disabled', { key: acme.key })).body.entries,
      (e: unknown[]) => e.length > 0,
    );
    expect(log[0]).toMatchObject({ actor_type: 'system', target_id: d.id });
    const second = await ingest(acme, 2);
    gone = false;
    await call(t.url, 'PATCH', `/v1/destinations/${d.id}`, { key: acme.key, body: { enabled: true } });
    await until(() => ours(rx.accepted, [...first, ...second]).length, (n) => n >= 5);
    expect(ours(rx.accepted, [...first, ...second])).toEqual([...first, ...second]);
    await call(t.url, 'DELETE', `/v1/destinations/${d.id}`, { key: acme.key });
  });

  it('disables a destination that has failed for 24 hours', async () => {
    const rx = await receiver(() => 503);
    const d = await destination(acme, { type: 'webhook', name: 'Down', url: rx.url, secret: 'whsec_down-0123456789ab' });
    const c = await ownerClient();
    await c.query(`UPDATE destinations SET failing_since = now() - interval '25 hours', failures = 30 WHERE id = $1`, [d.id]);
    await c.end();
    await ingest(acme, 1);
    const view = await until(
      async () => (await call(t.url, 'GET', `/v1/destinations/${d.id}`, { key: acme.key })).body,
      (b) => b.enabled === false,
    );
    expect(view.disabled_reason).toMatch(/failed for 25 hours/);
    await call(t.url, 'DELETE', `/v1/destinations/${d.id}`, { key: acme.key });
  });

  it('signs with both secrets while one is rotated', async () => {
    const rx = await receiver();
    const d = await destination(acme, { type: 'webhook', name: 'Rotating', url: rx.url, secret: 'whsec_old-0123456789abc' });
    const rotated = await call(t.url, 'PATCH', `/v1/destinations/${d.id}`, { key: acme.key, body: { secret: 'whsec_new-0123456789abc' } });
    expect(rotated.body.previous_secret_until).not.toBeNull();
    // The worker may deliver destination.created (written with the destination) before the rotation: look at the request carrying our event.
    const ids = await ingest(acme, 1);
    const carrying = () => rx.accepted.filter((x) => webhookIds([x]).some((id) => ids.includes(id)));
    await until(() => carrying().length, (n) => n >= 1);
    const r = carrying()[0];
    expect(String(r.headers['audit-signature']).match(/v1=/g)).toHaveLength(2);
    expect(verifySignature(String(r.headers['audit-signature']), 'whsec_new-0123456789abc', r.body)).toBe(true);
    expect(verifySignature(String(r.headers['audit-signature']), 'whsec_old-0123456789abc', r.body)).toBe(true);
    await call(t.url, 'DELETE', `/v1/destinations/${d.id}`, { key: acme.key });
  });

  it('applies filters: action wildcards and categories', async () => {
    const rx = await receiver();
    const d = await destination(acme, { type: 'webhook', name: 'Keys only', url: rx.url, secret: 'whsec_filter-0123456789', filter: { actions: ['api_key.*', 'document.delete'] } });
    await ingest(acme, 3, 'document.update');
    const keys = await ingest(acme, 2, 'api_key.created');
    const dels = await ingest(acme, 1, 'document.delete');
    await until(() => ours(rx.accepted, [...keys, ...dels]).length, (n) => n >= 3);
    await new Promise((r) => setTimeout(r, 500));
    expect(ours(rx.accepted, [...keys, ...dels])).toEqual([...keys, ...dels]);
    const actions = rx.accepted.flatMap((r) => (JSON.parse(r.body) as { events: { action: string }[] }).events.map((e) => e.action));
    expect(actions.every((x) => x.startsWith('api_key.') || x === 'document.delete')).toBe(true);
    await call(t.url, 'DELETE', `/v1/destinations/${d.id}`, { key: acme.key });
  });

  it('re-delivers a time range on replay, marked as replay', async () => {
    const rx = await receiver();
    const d = await destination(acme, { type: 'webhook', name: 'Replay', url: rx.url, secret: 'whsec_replay-0123456789', filter: { actions: ['replay.*'] } });
    const ids = await ingest(acme, 7, 'replay.me');
    await until(() => ours(rx.accepted, ids).length, (n) => n >= 7);
    const res = await call(t.url, 'POST', `/v1/destinations/${d.id}/replay`, { key: acme.key, body: { from: new Date(Date.now() - 3600_000).toISOString() } });
    expect(res.status).toBe(202);
    await until(() => rx.accepted.filter((r) => r.headers['audit-replay'] === 'true').length, (n) => n >= 1);
    const replayed = webhookIds(rx.accepted.filter((r) => r.headers['audit-replay'] === 'true'));
    expect(replayed).toEqual(ids);
    expect((await call(t.url, 'POST', `/v1/destinations/${d.id}/replay`, { key: acme.key, body: { from: new Date().toISOString(), to: new Date(Date.now() - 1000).toISOString() } })).status).toBe(422);
    await call(t.url, 'DELETE', `/v1/destinations/${d.id}`, { key: acme.key });
  });

  it('answers a test with the receiver’s answer, and records it as a test', async () => {
    const rx = await receiver(() => 202);
    const d = await destination(acme, { type: 'webhook', name: 'Test me', url: rx.url });
    expect(d.secret).toMatch(/^whsec_/);
    const res = await call(t.url, 'POST', `/v1/destinations/${d.id}/test`, { key: acme.key });
    expect(res.body).toMatchObject({ ok: true, status_code: 202, body: '{"received":true}' });
    // The worker may already have forwarded destination.created (this destination takes every action): pick out the test send.
    const tests = rx.requests.filter((r) => r.headers['audit-test'] === 'true');
    expect(tests).toHaveLength(1);
    expect(JSON.parse(tests[0].body).events[0]).toMatchObject({ action: 'destination.test' });
    expect(verifySignature(String(tests[0].headers['audit-signature']), d.secret as string, tests[0].body)).toBe(true);
    const ledger = (await call(t.url, 'GET', `/v1/destinations/${d.id}/deliveries`, { key: acme.key })).body.data as { test: boolean; status_code: number }[];
    // The test send is audited (destination.tested), and that entry is forwarded like any other: find the test among the deliveries.
    expect(ledger.filter((l) => l.test)).toEqual([expect.objectContaining({ test: true, status_code: 202 })]);
    await call(t.url, 'DELETE', `/v1/destinations/${d.id}`, { key: acme.key });
  });

  it('never returns secrets, stores them encrypted, and audits create, change and delete', async () => {
    const d = await destination(acme, { type: 'splunk_hec', name: 'Splunk', url: 'http://127.0.0.1:9/', token: 'splunk-token-plain-text' });
    const got = await call(t.url, 'GET', `/v1/destinations/${d.id}`, { key: acme.key });
    expect(got.text).not.toContain('splunk-token-plain-text');
    expect(got.body.has_secret).toBe(true);
    const c = await ownerClient();
    const { rows } = await c.query('SELECT secret_enc FROM destinations WHERE id = $1', [d.id]);
    await c.end();
    expect(rows[0].secret_enc).toMatch(/^v1\./);
    expect(rows[0].secret_enc).not.toContain('splunk-token');
    await call(t.url, 'PATCH', `/v1/destinations/${d.id}`, { key: acme.key, body: { name: 'Splunk prod', token: 'another-token-value' } });
    await call(t.url, 'DELETE', `/v1/destinations/${d.id}`, { key: acme.key });
    const log = (await call(t.url, 'GET', `/v1/events?category=forwarding&target_id=${d.id}`, { key: acme.key })).body.entries;
    expect(log.map((e: { action: string }) => e.action)).toEqual(['destination.deleted', 'destination.updated', 'destination.created']);
    expect(JSON.stringify(log)).not.toMatch(/token-plain|another-token/);
    expect(log[1].changes).toMatchObject({ before: { name: 'Splunk' }, after: { name: 'Splunk prod' } });
  });
});

describe('every receiver type, in its own format', () => {
  let ent: Tenant;
  beforeAll(async () => {
    ent = await createTenant(t, 'enterprise', 'Types Co');
  });

  it('Segment, Splunk HEC, Datadog, Slack and CloudEvents/OCSF webhooks get their own request shapes', async () => {
    const seg = await receiver();
    const hec = await receiver();
    const dd = await receiver(() => 202);
    const slack = await receiver();
    const ce = await receiver();
    const ocsf = await receiver();
    await destination(ent, { type: 'segment', name: 'Segment', url: `${seg.url}/v1/batch`, write_key: 'seg-write-key' , filter: { categories: ['content', 'members'] } });
    await destination(ent, { type: 'splunk_hec', name: 'Splunk', url: hec.url, token: 'hec-token' , filter: { categories: ['content', 'members'] } });
    await destination(ent, { type: 'datadog', name: 'Datadog', url: `${dd.url}/api/v2/logs`, token: 'dd-api-key', format: 'ocsf' , filter: { categories: ['content', 'members'] } });
    await destination(ent, { type: 'slack', name: 'Alerts', url: `${slack.url}/services/T000/B000/XXXX`, filter: { actions: ['member.*'] } });
    await destination(ent, { type: 'webhook', name: 'CE', url: ce.url, secret: 'whsec_ce-0123456789abcd', format: 'cloudevents' , filter: { categories: ['content', 'members'] } });
    await destination(ent, { type: 'webhook', name: 'OCSF', url: ocsf.url, secret: 'whsec_ocsf-0123456789ab', format: 'ocsf' , filter: { categories: ['content', 'members'] } });
    const docs = await ingest(ent, 2, 'document.update', { actor: { type: 'user', id: 'u_7', email: 'eve@types.test' }, context: { ip: '203.0.113.9' } });
    const members = await ingest(ent, 1, 'member.removed', { actor: { type: 'user', id: 'u_8', email: 'ann@types.test' }, target: { type: 'user', id: 'u_9', name: 'Bob' } });
    const all = [...docs, ...members];
    await until(() => [seg, hec, dd, slack, ce, ocsf].map((r) => r.accepted.length), (n) => n.every((x) => x > 0));

    await until(() => seg.accepted.flatMap((r) => JSON.parse(r.body).batch).length, (n) => n >= 3);
    const segBodies = seg.accepted.flatMap((r) => JSON.parse(r.body).batch);
    expect(seg.accepted[0].url).toBe('/v1/batch');
    expect(seg.accepted[0].headers.authorization).toBe(`Basic ${Buffer.from('seg-write-key:').toString('base64')}`);
    expect(segBodies[0]).toMatchObject({ type: 'track', event: 'document.update', messageId: docs[0], userId: 'u_7', properties: { id: docs[0] } });

    await until(() => hec.accepted.flatMap((r) => r.body.split('\n')).length, (n) => n >= 3);
    expect(hec.accepted[0].url).toBe('/services/collector/event');
    expect(hec.accepted[0].headers.authorization).toBe('Splunk hec-token');
    expect(hec.accepted.flatMap((r) => r.body.split('\n').map((l) => JSON.parse(l).event.id))).toEqual(all);

    await until(() => dd.accepted.flatMap((r) => JSON.parse(r.body)).length, (n) => n >= 3);
    expect(dd.accepted[0].headers['dd-api-key']).toBe('dd-api-key');
    const ddEntries = dd.accepted.flatMap((r) => JSON.parse(r.body));
    expect(ddEntries[0]).toMatchObject({ ddsource: 'audit-trail', service: 'audit-trail' });
    expect(JSON.parse(ddEntries[2].message)).toMatchObject({ class_uid: 3001, metadata: { uid: members[0] } });

    await until(() => slack.accepted.length, (n) => n >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.accepted).toHaveLength(1);
    const removed = (await call(t.url, 'GET', `/v1/events/${members[0]}`, { key: ent.key })).body;
    expect(JSON.parse(slack.accepted[0].body).text).toBe(`*member.removed* by ann@types.test on user Bob at ${removed.occurred_at}`);

    await until(() => ce.accepted.flatMap((r) => JSON.parse(r.body)).length, (n) => n >= 3);
    expect(ce.accepted[0].headers['content-type']).toBe('application/cloudevents-batch+json');
    expect(ce.accepted.flatMap((r) => JSON.parse(r.body).map((e: { id: string }) => e.id))).toEqual(all);
    expect(JSON.parse(ce.accepted[0].body)[0]).toMatchObject({ specversion: '1.0', type: 'dev.audit-trail.document.update', source: `/accounts/${ent.accountId}` });

    await until(() => ocsf.accepted.flatMap((r) => JSON.parse(r.body).events).length, (n) => n >= 3);
    const o = ocsf.accepted.flatMap((r) => JSON.parse(r.body).events);
    expect(o[0]).toMatchObject({ class_uid: 6003, type_uid: 600303, src_endpoint: { ip: '203.0.113.9' } });
    // member.removed is Account Change / Delete (6); 4 would be Password Reset.
    expect(o[2]).toMatchObject({ class_uid: 3001, activity_id: 6, activity_name: 'Delete', type_uid: 300106 });
  });

  it('follows one workspace’s log when scoped to it', async () => {
    const ws = (await call(t.url, 'POST', '/v1/workspaces', { key: ent.key, body: { name: 'Staging' } })).body.id;
    const rx = await receiver();
    const list = (await call(t.url, 'GET', '/v1/destinations', { key: ent.key })).body.data;
    for (const d of list) await call(t.url, 'DELETE', `/v1/destinations/${d.id}`, { key: ent.key });
    await destination(ent, { type: 'webhook', name: 'Staging only', url: rx.url, secret: 'whsec_ws-0123456789abcd', scope: 'workspace', workspace_id: ws });
    await ingest(ent, 2);
    const inWs = await ingest(ent, 2, 'document.update', { workspace_id: ws });
    await until(() => ours(rx.accepted, inWs).length, (n) => n >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(ours(rx.accepted, inWs)).toEqual(inWs);
  });
});

describe('limits, tenancy and bad input', () => {
  it('caps destinations by plan: 404 unlicensed, 403 plan-limit past the cap', async () => {
    const x = await createTenant(t, 'free', 'Cap Co');
    const body = { type: 'webhook', name: 'W', url: 'http://127.0.0.1:9/' };
    expect((await call(t.url, 'POST', '/v1/destinations', { session: x.owner, body })).status).toBe(404);
    await setPlan(t, x.accountId, 'essentials');
    const ess = await call(t.url, 'POST', '/v1/destinations', { session: x.owner, body });
    expect(ess.status).toBe(403);
    expect(ess.body.type).toMatch(/\/plan-limit$/);
    expect(ess.body.detail).toBe('Essentials does not include forwarding. Premium includes 3.');
    await setPlan(t, x.accountId, 'premium');
    for (let i = 0; i < 3; i++) expect((await call(t.url, 'POST', '/v1/destinations', { session: x.owner, body })).status).toBe(201);
    const fourth = await call(t.url, 'POST', '/v1/destinations', { session: x.owner, body });
    expect(fourth.status).toBe(403);
    expect(fourth.body.detail).toMatch(/Premium includes 3 forwarding destinations, and all are in use/);
    expect((await call(t.url, 'GET', '/v1/destinations', { session: x.owner })).body.data).toHaveLength(3);
  });

  it("another tenant's destination is 404 on every route", async () => {
    const a = await createTenant(t, 'premium', 'Mine');
    const b = await createTenant(t, 'premium', 'Theirs');
    const d = await destination(a, { type: 'webhook', name: 'W', url: 'http://127.0.0.1:9/' });
    const routes: [string, string, unknown?][] = [
      ['GET', `/v1/destinations/${d.id}`],
      ['PATCH', `/v1/destinations/${d.id}`, { name: 'x' }],
      ['DELETE', `/v1/destinations/${d.id}`],
      ['POST', `/v1/destinations/${d.id}/test`],
      ['GET', `/v1/destinations/${d.id}/deliveries`],
      ['POST', `/v1/destinations/${d.id}/replay`, { from: new Date(Date.now() - 60_000).toISOString() }],
    ];
    for (const [m, path, body] of routes) expect([m, path, (await call(t.url, m, path, { key: b.key, body })).status]).toEqual([m, path, 404]);
    expect((await call(t.url, 'GET', '/v1/destinations', { key: b.key })).body.data).toEqual([]);
    expect((await call(t.url, 'GET', `/v1/destinations/${d.id}`, { key: a.key })).status).toBe(200);
  });

  it('refuses bad destinations with 422 and stores nothing', async () => {
    const x = await createTenant(t, 'enterprise', 'Bad Co');
    const bad = [
      { type: 'carrier_pigeon', name: 'x', url: 'http://127.0.0.1:9/' },
      { type: 'webhook', name: 'x' },
      { type: 'webhook', name: 'x', url: 'ftp://example.com/' },
      { type: 'webhook', name: 'x', url: 'not a url' },
      { type: 'webhook', name: 'x', url: 'http://user:pw@127.0.0.1/' },
      { type: 'splunk_hec', name: 'x', url: 'http://127.0.0.1:9/' },
      { type: 'segment', name: 'x' },
      { type: 'webhook', name: 'x', url: 'http://127.0.0.1:9/', secret: 'short' },
      { type: 'webhook', name: 'x', url: 'http://127.0.0.1:9/', filter: { actions: ['Bad Action'] } },
      { type: 'webhook', name: 'x', url: 'http://127.0.0.1:9/', scope: 'workspace' },
      { type: 'webhook', name: 'x', url: 'http://127.0.0.1:9/', format: 'xml' },
      { type: 'webhook', name: 'x', url: 'http://127.0.0.1:9/', surprise: true },
    ];
    for (const body of bad) expect([body, (await call(t.url, 'POST', '/v1/destinations', { key: x.key, body })).status]).toEqual([body, 422]);
    expect((await call(t.url, 'POST', '/v1/destinations', { key: x.key, body: { type: 'webhook', name: 'x', url: 'http://127.0.0.1:9/', scope: 'workspace', workspace_id: randomUUID() } })).status).toBe(404);
    expect((await call(t.url, 'GET', '/v1/destinations', { key: x.key })).body.data).toEqual([]);
  });

  /**
   * A tenant with a webhook destination that is enabled but not due for the
   * suite's worker (which may deliver to loopback), and one event: only the
   * test's own deliverNext call sends.
   */
  async function parkedWithOneEvent(name: string, url: string) {
    const x = await createTenant(t, 'premium', name);
    const d = await destination(x, { type: 'webhook', name: 'x', url, enabled: false });
    const c = await ownerClient();
    await c.query("UPDATE destinations SET enabled = true, next_attempt_at = now() + interval '1 hour' WHERE id = $1", [d.id]);
    await c.end();
    await ingest(x, 1);
    return { x, d };
  }

  it('refuses private and loopback URLs unless FORWARDING_ALLOW_PRIVATE, at creation and at delivery', async () => {
    const strict = await startApp({ ...env, FORWARDING_ALLOW_PRIVATE: 'false' });
    try {
      const x = await createTenant(strict, 'premium', 'Strict Co');
      for (const url of ['http://127.0.0.1:8080/', 'http://10.1.2.3/', 'http://169.254.169.254/latest', 'http://[::1]/', 'http://localhost/']) {
        const res = await call(strict.url, 'POST', '/v1/destinations', { key: x.key, body: { type: 'webhook', name: 'x', url } });
        expect([url, res.status]).toEqual([url, 422]);
        expect(res.body.errors[0].path).toBe('url');
      }
    } finally {
      await strict.close();
    }
    // At delivery time too: a destination created while private addresses were allowed is refused once they are not.
    const rx = await receiver();
    const { x, d } = await parkedWithOneEvent('Later Co', rx.url);
    const db = new Database(t.config.APP_DATABASE_URL, 2);
    try {
      const out = await until(() => deliverNext(db, x.accountId, d.id, { box: new SecretBox(t.config.SESSION_SECRET), allowPrivate: false }), (o) => o.kind !== 'idle');
      expect(out).toMatchObject({ kind: 'failed', status: null });
      expect(out.kind === 'failed' && out.error).toMatch(/private or loopback/);
    } finally {
      await db.close();
    }
  });

  it('lets FORWARDING_ALLOW_HOSTS open exactly the listed host:port pairs, at creation and at delivery', async () => {
    const rx = await receiver();
    const port = new URL(rx.url).port;
    const narrow = await startApp({ ...env, FORWARDING_ALLOW_PRIVATE: 'false', FORWARDING_ALLOW_HOSTS: `127.0.0.1:${port}, [::1]:9` });
    try {
      const x = await createTenant(narrow, 'premium', 'Narrow Co');
      const ok = await call(narrow.url, 'POST', '/v1/destinations', { key: x.key, body: { type: 'webhook', name: 'collector', url: `${rx.url}/audit`, enabled: false } });
      expect(ok.status).toBe(201);
      expect((await call(narrow.url, 'POST', '/v1/destinations', { key: x.key, body: { type: 'webhook', name: 'v6', url: 'http://[::1]:9/', enabled: false } })).status).toBe(201);
      // Another port on the same host, the same port elsewhere, and a name for the same address stay refused.
      for (const url of [`http://127.0.0.1:${Number(port) + 1}/`, `http://10.1.2.3:${port}/`, `http://localhost:${port}/`]) {
        const res = await call(narrow.url, 'POST', '/v1/destinations', { key: x.key, body: { type: 'webhook', name: 'x', url } });
        expect([url, res.status]).toEqual([url, 422]);
      }
    } finally {
      await narrow.close();
    }
    // At delivery: the listed pair is reached, another is not.
    const { x, d } = await parkedWithOneEvent('Listed Co', rx.url);
    const db = new Database(t.config.APP_DATABASE_URL, 2);
    try {
      const box = new SecretBox(t.config.SESSION_SECRET);
      const refused = await until(() => deliverNext(db, x.accountId, d.id, { box, allowPrivate: [`127.0.0.1:${Number(port) + 1}`] }), (o) => o.kind !== 'idle');
      expect(refused.kind === 'failed' && refused.error).toMatch(/private or loopback/);
      const sent = await until(() => deliverNext(db, x.accountId, d.id, { box, allowPrivate: [`127.0.0.1:${port}`] }), (o) => o.kind !== 'idle');
      expect(sent.kind).toBe('delivered');
    } finally {
      await db.close();
    }
  });
});
