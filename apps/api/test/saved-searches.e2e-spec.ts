import { randomUUID } from 'node:crypto';
import { addMember, call, createTenant, ownerClient, setPlan, startApp, type Tenant, type TestApp } from './harness';

// Saved searches: a person's named Audit Log filters, kept on the server.
let t: TestApp;
let acme: Tenant;
let globex: Tenant;

beforeAll(async () => {
  t = await startApp({ QUEUE_PREFIX: `test-saved-${randomUUID().slice(0, 8)}` });
  acme = await createTenant(t, 'premium', 'Acme');
  globex = await createTenant(t, 'premium', 'Globex');
});
afterAll(async () => {
  await t?.close();
});

const save = (session: Tenant['owner'], body: unknown) => call(t.url, 'POST', '/v1/saved-searches', { session, body });
const list = async (session: Tenant['owner']) => (await call(t.url, 'GET', '/v1/saved-searches', { session })).body.data as { id: string; name: string; query: string }[];

it('saves, lists by name, replaces under the same name, and deletes', async () => {
  const a = await save(acme.owner, { name: 'Failed sign-ins', query: 'category=auth&outcome=failure' });
  expect(a.status).toBe(201);
  expect(a.body).toMatchObject({ id: expect.any(String), name: 'Failed sign-ins', query: 'category=auth&outcome=failure' });
  expect((await save(acme.owner, { name: 'api keys', query: 'category=api_keys' })).status).toBe(201);
  expect((await list(acme.owner)).map((s) => s.name)).toEqual(['api keys', 'Failed sign-ins']);
  // The same name again replaces that search (same id), it does not add one.
  const again = await save(acme.owner, { name: 'Failed sign-ins', query: 'category=auth&outcome=failure&ip=203.0.113.0%2F24' });
  expect(again.body.id).toBe(a.body.id);
  expect((await list(acme.owner)).find((s) => s.name === 'Failed sign-ins')?.query).toContain('ip=203.0.113.0%2F24');
  expect((await call(t.url, 'DELETE', `/v1/saved-searches/${a.body.id}`, { session: acme.owner })).status).toBe(204);
  expect((await list(acme.owner)).map((s) => s.name)).toEqual(['api keys']);
  expect((await call(t.url, 'DELETE', `/v1/saved-searches/${a.body.id}`, { session: acme.owner })).status).toBe(404);
});

it('keeps each person’s searches to that person, and each tenant’s to that tenant (404 across)', async () => {
  const mine = (await save(acme.owner, { name: 'Mine', query: 'actor_id=u_1' })).body;
  const colleague = await addMember(t, acme, 'member');
  expect((await list(colleague.session)).map((s) => s.name)).not.toContain('Mine');
  expect((await call(t.url, 'DELETE', `/v1/saved-searches/${mine.id}`, { session: colleague.session })).status).toBe(404);
  expect((await list(globex.owner)).map((s) => s.name)).not.toContain('Mine');
  const other = await call(t.url, 'DELETE', `/v1/saved-searches/${mine.id}`, { session: globex.owner });
  expect(other.status).toBe(404);
  expect(other.headers.get('content-type')).toContain('application/problem+json');
  expect((await list(acme.owner)).map((s) => s.name)).toContain('Mine');
  // And in PostgreSQL: the application role with another tenant set sees no row of it.
  const c = await ownerClient();
  try {
    await c.query('BEGIN');
    await c.query('SET LOCAL ROLE audit_app');
    await c.query(`SELECT set_config('app.account_id', $1, true)`, [globex.accountId]);
    expect((await c.query('SELECT count(*)::int AS n FROM saved_searches WHERE id = $1', [mine.id])).rows[0].n).toBe(0);
    await c.query('ROLLBACK');
  } finally {
    await c.end();
  }
});

it('refuses bad input with 422 and stores nothing; an API key gets 403; an unlicensed account 404', async () => {
  const before = (await list(acme.owner)).length;
  for (const body of [{ name: '', query: '' }, { name: 'x', query: 'password=1' }, { name: 'x', query: `q=${'a'.repeat(600)}` }, { name: 'x' }, { name: 'x', query: 'q=1', extra: true }, { name: 'y'.repeat(101), query: '' }]) {
    const res = await save(acme.owner, body);
    expect([JSON.stringify(body).slice(0, 60), res.status]).toEqual([JSON.stringify(body).slice(0, 60), 422]);
    expect(res.body.errors.length).toBeGreaterThan(0);
  }
  expect((await list(acme.owner)).length).toBe(before);
  const byKey = await call(t.url, 'GET', '/v1/saved-searches', { key: acme.key });
  expect(byKey.status).toBe(403);
  expect(byKey.body.detail).toMatch(/sign in/);
  const free = await createTenant(t, 'premium', 'Lapsed');
  await setPlan(t, free.accountId, 'free');
  expect((await call(t.url, 'GET', '/v1/saved-searches', { session: free.owner })).status).toBe(404);
});

it('keeps at most 100 per person; replacing one still works at the cap', async () => {
  const x = await createTenant(t, 'premium', 'Hoarder');
  const c = await ownerClient();
  try {
    await c.query(`INSERT INTO saved_searches (account_id, id, user_id, name, query) SELECT $1, gen_random_uuid(), $2, 'search ' || i, '' FROM generate_series(1, 100) i`, [x.accountId, x.userId]);
  } finally {
    await c.end();
  }
  const over = await save(x.owner, { name: 'one more', query: '' });
  expect(over.status).toBe(422);
  expect(over.body.errors[0].message).toMatch(/delete one first/);
  expect((await save(x.owner, { name: 'search 7', query: 'outcome=failure' })).status).toBe(201);
  expect((await list(x.owner)).length).toBe(100);
});
