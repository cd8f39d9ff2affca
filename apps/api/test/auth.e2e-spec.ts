import { randomUUID } from 'node:crypto';
import { addMember, call, createTenant, login, ownerClient, sessionFrom, startApp, uniqueEmail, type TestApp } from './harness';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(() => t.close());

async function actionsOf(accountId: string): Promise<string[]> {
  const c = await ownerClient();
  try {
    const { rows } = await c.query('SELECT action FROM audit_events WHERE account_id = $1 ORDER BY occurred_at, id', [accountId]);
    return rows.map((r) => r.action);
  } finally {
    await c.end();
  }
}

describe('signup', () => {
  it('creates account, owner, Production workspace and a session on the free plan', async () => {
    const email = uniqueEmail();
    const res = await call(t.url, 'POST', '/v1/signup', { body: { account_name: 'New Co', email, password: 'long enough password' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ account_id: expect.any(String), user_id: expect.any(String), workspace_id: expect.any(String), csrf_token: expect.any(String) });
    const cookies = res.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('at_session='))).toMatch(/HttpOnly/i);
    expect(cookies.find((c) => c.startsWith('at_session='))).toMatch(/SameSite=Lax/i);
    expect(cookies.find((c) => c.startsWith('csrf_token='))).not.toMatch(/HttpOnly/i);
    const session = sessionFrom(res);
    const account = await call(t.url, 'GET', '/v1/account', { session });
    expect(account.body).toMatchObject({ id: res.body.account_id, name: 'New Co', plan: 'free', entitlements: { audit_log: false } });
    const ws = await call(t.url, 'GET', '/v1/workspaces', { session });
    expect(ws.body.data).toEqual([expect.objectContaining({ id: res.body.workspace_id, name: 'Production' })]);
    // Free plan: the platform records nothing.
    expect(await actionsOf(res.body.account_id)).toEqual([]);
  });

  it.each([
    [{ account_name: 'X', email: 'not-an-email', password: 'long enough password' }, 'email'],
    [{ account_name: 'X', email: 'a@b.co', password: 'short' }, 'password'],
    [{ account_name: '', email: 'a@b.co', password: 'long enough password' }, 'account_name'],
    [{ account_name: 'X', email: 'a@b.co', password: 'long enough password', plan: 'premium' }, 'plan'],
  ])('422 for %j', async (body, path) => {
    const res = await call(t.url, 'POST', '/v1/signup', { body });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('409 for an email already in use, in any case', async () => {
    const tenant = await createTenant(t, 'free');
    const res = await call(t.url, 'POST', '/v1/signup', { body: { account_name: 'Dup', email: tenant.email.toUpperCase(), password: 'long enough password' } });
    expect(res.status).toBe(409);
  });

  it('stores the password as an Argon2id hash', async () => {
    const tenant = await createTenant(t, 'free');
    const c = await ownerClient();
    const { rows } = await c.query('SELECT password_hash FROM users WHERE id = $1', [tenant.userId]);
    await c.end();
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
  });
});

describe('login, logout and CSRF', () => {
  it('signs in, records auth.login, and signs out', async () => {
    const tenant = await createTenant(t, 'premium');
    const res = await login(t, tenant.email, tenant.password);
    expect(res.status).toBe(200);
    const session = sessionFrom(res);
    expect((await call(t.url, 'GET', '/v1/account', { session })).status).toBe(200);
    const out = await call(t.url, 'POST', '/v1/auth/logout', { session });
    expect(out.status).toBe(204);
    expect((await call(t.url, 'GET', '/v1/account', { session })).status).toBe(401);
    const actions = await actionsOf(tenant.accountId);
    expect(actions).toEqual(expect.arrayContaining(['plan.changed', 'api_key.created', 'auth.login', 'auth.logout']));
  });

  it('refuses a wrong password with 401 and records auth.login_failed with IP and user agent', async () => {
    const tenant = await createTenant(t, 'premium');
    const res = await call(t.url, 'POST', '/v1/auth/login', { body: { email: tenant.email, password: 'wrong password!' }, headers: { 'user-agent': 'TestAgent/1.0' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    const events = await call(t.url, 'GET', '/v1/events?action=auth.login_failed', { key: tenant.key });
    expect(events.body.entries).toHaveLength(1);
    expect(events.body.entries[0]).toMatchObject({ actor_type: 'user', actor_email: tenant.email, outcome: 'failure', user_agent: 'TestAgent/1.0', ip: '127.0.0.1' });
    expect((await login(t, 'nobody@example.test', 'whatever password')).status).toBe(401);
  });

  it('refuses a state-changing cookie request without the CSRF header (403) and writes nothing', async () => {
    const tenant = await createTenant(t, 'premium');
    const res = await call(t.url, 'POST', '/v1/workspaces', { session: tenant.owner, csrf: false, body: { name: 'Sneaky' } });
    expect(res.status).toBe(403);
    const wrong = await call(t.url, 'POST', '/v1/workspaces', { session: tenant.owner, csrf: false, headers: { 'x-csrf-token': 'nope' }, body: { name: 'Sneaky' } });
    expect(wrong.status).toBe(403);
    const ws = await call(t.url, 'GET', '/v1/workspaces', { session: tenant.owner });
    expect(ws.body.data.map((w: { name: string }) => w.name)).toEqual(['Production']);
    const ok = await call(t.url, 'POST', '/v1/workspaces', { session: tenant.owner, body: { name: 'Fine' } });
    expect(ok.status).toBe(201);
  });

  it('signs each role in with what the role allows', async () => {
    const tenant = await createTenant(t, 'premium');
    const admin = await addMember(t, tenant, 'admin');
    const member = await addMember(t, tenant, 'member');
    const again = await login(t, member.email, 'another good password');
    expect(again.status).toBe(200);
    expect((await call(t.url, 'GET', '/v1/api-keys', { session: admin.session })).status).toBe(200);
    expect((await call(t.url, 'GET', '/v1/api-keys', { session: member.session })).status).toBe(403);
    expect((await call(t.url, 'GET', '/v1/events', { session: admin.session })).status).toBe(200);
    expect((await call(t.url, 'GET', '/v1/account', { session: member.session })).body.me.role).toBe('member');
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once an address passes the per-minute limit', async () => {
    const app = await startApp({ AUTH_RATE_LIMIT_PER_MINUTE: '10', QUEUE_PREFIX: `test-limit-${randomUUID().slice(0, 8)}` });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await login(app, 'nobody@example.test', 'wrong password')).status);
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      const limited = await login(app, 'nobody@example.test', 'wrong password');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.body.type).toMatch(/rate-limited$/);
    } finally {
      await app.close();
    }
  });
});
