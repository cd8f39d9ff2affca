import { randomUUID } from 'node:crypto';
import { call, createTenant, startApp, type TestApp } from './harness';

// Two API processes' worth of apps (each with its own memory) on one Redis
// and one PostgreSQL: what one process knows, the other must honour.
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  const env = { QUEUE_PREFIX: `test-many-${randomUUID().slice(0, 8)}`, AUTH_RATE_LIMIT_PER_MINUTE: '5' };
  a = await startApp(env);
  b = await startApp(env);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

it('shares the sign-in limit: attempts on either process count toward one limit', async () => {
  const email = `nobody-${randomUUID().slice(0, 8)}@example.test`;
  const attempt = (t: TestApp) => call(t.url, 'POST', '/v1/auth/login', { body: { email, password: 'wrong password' } });
  const statuses: number[] = [];
  for (const t of [a, b, a, b, a]) statuses.push((await attempt(t)).status);
  expect(statuses).toEqual([401, 401, 401, 401, 401]);
  // The sixth, on the process that saw only two of them.
  const sixth = await attempt(b);
  expect(sixth.status).toBe(429);
  expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await attempt(a)).status).toBe(429);
});

it('stops a revoked key in the other process within a second', async () => {
  const x = await createTenant(a, 'premium', 'Many APIs Co');
  const key = await call(a.url, 'POST', '/v1/api-keys', { session: x.owner, body: { name: 'short-lived', scopes: ['events:read'] } });
  expect((await call(b.url, 'GET', '/v1/events?limit=1', { key: key.body.key })).status).toBe(200); // B caches it now
  expect((await call(a.url, 'DELETE', `/v1/api-keys/${key.body.id}`, { session: x.owner })).status).toBe(204);
  await new Promise((r) => setTimeout(r, 1100));
  expect((await call(b.url, 'GET', '/v1/events?limit=1', { key: key.body.key })).status).toBe(401);
});
