import { createServer, type Server, type Socket, connect } from 'node:net';
import { appRoleClient, call, createTenant, event, startApp, type TestApp } from './harness';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(() => t.close());

it('answers health, readiness and Prometheus metrics', async () => {
  expect((await call(t.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
  const ready = await call(t.url, 'GET', '/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body.checks).toEqual({ database: { status: 'up' }, redis: { status: 'up' } });
  const tenant = await createTenant(t, 'premium');
  await call(t.url, 'POST', '/v1/events', { key: tenant.key, body: { events: [event(), event()] } });
  const metrics = await call(t.url, 'GET', '/metrics');
  expect(metrics.headers.get('content-type')).toContain('text/plain');
  expect(metrics.text).toMatch(/http_requests_total\{method="POST",route="\/v1\/events",status="202"\} \d+/);
  expect(metrics.text).toMatch(/audit_events_ingested_total \d+/);
  expect(metrics.text).toContain('http_request_duration_seconds_bucket');
});

it('tags every answer with a request id, echoing one that was sent', async () => {
  const res = await call(t.url, 'GET', '/healthz', { headers: { 'x-request-id': 'req-abc-123' } });
  expect(res.headers.get('x-request-id')).toBe('req-abc-123');
  expect((await call(t.url, 'GET', '/healthz')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

it('serves OpenAPI built from the validating schemas, and the docs page', async () => {
  const spec = await call(t.url, 'GET', '/openapi.json');
  expect(spec.body.openapi).toBe('3.1.0');
  const ingest = spec.body.paths['/v1/events'].post;
  expect(ingest.requestBody.content['application/json'].schema.properties.action.pattern).toBe('^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$');
  const query = spec.body.paths['/v1/events'].get.parameters.map((p: { name: string }) => p.name);
  expect(query).toEqual(expect.arrayContaining(['scope', 'from', 'to', 'action', 'category', 'actor_id', 'ip', 'q', 'limit', 'cursor']));
  expect(spec.body.paths['/v1/operator/accounts/{id}/plan']).toBeDefined();
  const docs = await call(t.url, 'GET', '/docs');
  expect(docs.headers.get('content-type')).toContain('text/html');
  expect((await call(t.url, 'GET', '/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
  // A tenant without the audit log is not told about the routes it cannot use.
  const free = await createTenant(t, 'free');
  const theirs = await call(t.url, 'GET', '/openapi.json', { key: free.key });
  expect(theirs.body.paths['/v1/events']).toBeUndefined();
  expect(theirs.body.paths['/v1/api-keys']).toBeDefined();
});

it('hides operator routes without the right token, and entirely when OPERATOR_TOKEN is unset', async () => {
  const tenant = await createTenant(t, 'free');
  const path = `/v1/operator/accounts/${tenant.accountId}/plan`;
  const none = await call(t.url, 'PUT', path, { body: { plan: 'premium' } });
  expect(none.status).toBe(404);
  const wrong = await call(t.url, 'PUT', path, { body: { plan: 'premium' }, headers: { authorization: 'Bearer wrong-token-wrong-token' } });
  expect(wrong.status).toBe(404);
  expect(wrong.body).toEqual(none.body);
  const bad = await call(t.url, 'PUT', path, { body: { plan: 'gold' }, headers: { authorization: `Bearer ${t.config.OPERATOR_TOKEN}` } });
  expect(bad.status).toBe(422);
  const noToken = await startApp({ OPERATOR_TOKEN: '' });
  try {
    const res = await call(noToken.url, 'PUT', path, { body: { plan: 'premium' }, headers: { authorization: `Bearer ${t.config.OPERATOR_TOKEN}` } });
    expect(res.status).toBe(404);
    expect((await call(noToken.url, 'GET', '/openapi.json')).body.paths[`/v1/operator/accounts/{id}/plan`]).toBeUndefined();
  } finally {
    await noToken.close();
  }
});

it('records plan changes as the system, with before and after', async () => {
  const tenant = await createTenant(t, 'essentials');
  await call(t.url, 'PUT', `/v1/operator/accounts/${tenant.accountId}/plan`, { body: { plan: 'premium' }, headers: { authorization: `Bearer ${t.config.OPERATOR_TOKEN}` } });
  const log = await call(t.url, 'GET', '/v1/events?action=plan.changed', { key: tenant.key });
  expect(log.body.entries[0]).toMatchObject({ actor_type: 'system', actor_id: 'operator', changes: { before: { plan: 'essentials' }, after: { plan: 'premium' } } });
  expect(log.body.entries).toHaveLength(2);
});

/** A TCP proxy in front of PostgreSQL that the test can cut and restore. */
function pgProxy(target: URL): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const end = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      server.close(() => resolve());
    });
  return listen().then(() => ({ port, cut, restore: listen, close: cut }));
}

it('answers 503 while PostgreSQL is unreachable and recovers by itself', async () => {
  const real = new URL(t.config.APP_DATABASE_URL);
  const proxy = await pgProxy(real);
  const viaProxy = new URL(real.toString());
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  const app = await startApp({ APP_DATABASE_URL: viaProxy.toString() });
  try {
    const tenant = await createTenant(app, 'premium');
    expect((await call(app.url, 'POST', '/v1/events', { key: tenant.key, body: event() })).status).toBe(202);
    await proxy.cut();
    await new Promise((r) => setTimeout(r, 1100)); // past the key cache, so auth must ask the database too
    const down = await call(app.url, 'POST', '/v1/events', { key: tenant.key, body: event() });
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toContain('application/problem+json');
    expect((await call(app.url, 'GET', '/v1/events', { key: tenant.key })).status).toBe(503);
    expect((await call(app.url, 'GET', '/readyz')).status).toBe(503);
    await proxy.restore();
    let status = 0;
    for (let i = 0; i < 20 && status !== 202; i++) {
      status = (await call(app.url, 'POST', '/v1/events', { key: tenant.key, body: event() })).status;
      if (status !== 202) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(202);
    expect((await call(app.url, 'GET', '/readyz')).status).toBe(200);
  } finally {
    await app.close();
    await proxy.close();
  }
});

describe('row-level security (the second wall)', () => {
  it('shows the application role nothing without a tenant, and only that tenant with one', async () => {
    const a = await createTenant(t, 'premium', 'A');
    const b = await createTenant(t, 'premium', 'B');
    await call(t.url, 'POST', '/v1/events', { key: a.key, body: event() });
    await call(t.url, 'POST', '/v1/events', { key: b.key, body: event() });
    const c = await appRoleClient(t);
    try {
      for (const table of ['accounts', 'workspaces', 'memberships', 'api_keys', 'sessions', 'audit_events', 'users']) {
        const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${table}`);
        expect([table, rows[0].n]).toEqual([table, 0]);
      }
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.account_id', $1, true)`, [a.accountId]);
      const { rows } = await c.query('SELECT DISTINCT account_id FROM audit_events');
      expect(rows.map((r) => r.account_id)).toEqual([a.accountId]);
      const ws = await c.query('SELECT account_id FROM workspaces');
      expect(new Set(ws.rows.map((r) => r.account_id))).toEqual(new Set([a.accountId]));
      await expect(
        c.query(`INSERT INTO workspaces (id, account_id, name) VALUES (gen_random_uuid(), $1, 'x')`, [b.accountId]),
      ).rejects.toThrow(/row-level security/);
      await c.query('ROLLBACK');
    } finally {
      await c.end();
    }
  });

  it('keeps audit_events append-only for the application role', async () => {
    const a = await createTenant(t, 'premium');
    await call(t.url, 'POST', '/v1/events', { key: a.key, body: event() });
    const c = await appRoleClient(t);
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.account_id', $1, true)`, [a.accountId]);
      await expect(c.query(`UPDATE audit_events SET action = 'x.y'`)).rejects.toThrow(/permission denied/);
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.account_id', $1, true)`, [a.accountId]);
      await expect(c.query(`DELETE FROM audit_events`)).rejects.toThrow(/permission denied/);
      await c.query('ROLLBACK');
      await expect(c.query(`TRUNCATE audit_events`)).rejects.toThrow(/permission denied/);
    } finally {
      await c.end();
    }
    // Even the owner is stopped by the trigger.
    const { ownerClient } = await import('./harness');
    const o = await ownerClient();
    try {
      await expect(o.query(`DELETE FROM audit_events WHERE account_id = $1`, [a.accountId])).rejects.toThrow(/append-only/);
      await expect(o.query(`UPDATE audit_events SET action = 'x.y' WHERE account_id = $1`, [a.accountId])).rejects.toThrow(/append-only/);
    } finally {
      await o.end();
    }
  });
});
