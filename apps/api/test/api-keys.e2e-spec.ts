import { call, createTenant, event, ownerClient, startApp, type Tenant, type TestApp } from './harness';

let t: TestApp;
let acme: Tenant;
let globex: Tenant;
beforeAll(async () => {
  t = await startApp();
  acme = await createTenant(t, 'premium', 'Acme');
  globex = await createTenant(t, 'premium', 'Globex');
});
afterAll(() => t.close());

const create = (tenant: Tenant, body: unknown) => call(t.url, 'POST', '/v1/api-keys', { session: tenant.owner, body });

it('shows a key once and stores only its hash', async () => {
  const res = await create(acme, { name: 'CI', scopes: ['events:write'] });
  expect(res.status).toBe(201);
  expect(res.body.key).toMatch(/^atk_/);
  const listed = await call(t.url, 'GET', '/v1/api-keys', { session: acme.owner });
  const row = listed.body.data.find((k: { id: string }) => k.id === res.body.id);
  expect(row).toMatchObject({ name: 'CI', scopes: ['events:write'], prefix: res.body.key.slice(0, 10) });
  expect(JSON.stringify(listed.body)).not.toContain(res.body.key);
  const c = await ownerClient();
  const { rows } = await c.query('SELECT * FROM api_keys WHERE id = $1', [res.body.id]);
  await c.end();
  expect(JSON.stringify(rows[0])).not.toContain(res.body.key.slice(10));
  expect(rows[0].key_hash).toHaveLength(32);
});

it('validates scopes and workspace', async () => {
  expect((await create(acme, { name: 'x', scopes: ['root'] })).status).toBe(422);
  expect((await create(acme, { name: 'x', scopes: [] })).status).toBe(422);
  expect((await create(acme, { name: 'x', scopes: ['admin'], workspace_id: globex.workspaceId })).status).toBe(422);
});

it('records last use', async () => {
  const res = await create(acme, { name: 'used', scopes: ['events:write'] });
  await call(t.url, 'POST', '/v1/events', { key: res.body.key, body: event() });
  await new Promise((r) => setTimeout(r, 200));
  const listed = await call(t.url, 'GET', '/v1/api-keys', { session: acme.owner });
  expect(listed.body.data.find((k: { id: string }) => k.id === res.body.id).last_used_at).not.toBeNull();
});

it('rotates: the old secret stops, the new one works, and it is audited', async () => {
  const res = await create(acme, { name: 'rotate me', scopes: ['events:write'] });
  expect((await call(t.url, 'POST', '/v1/events', { key: res.body.key, body: event() })).status).toBe(202);
  const rotated = await call(t.url, 'POST', `/v1/api-keys/${res.body.id}/rotate`, { session: acme.owner });
  expect(rotated.status).toBe(200);
  expect(rotated.body.key).not.toBe(res.body.key);
  expect((await call(t.url, 'POST', '/v1/events', { key: res.body.key, body: event() })).status).toBe(401);
  expect((await call(t.url, 'POST', '/v1/events', { key: rotated.body.key, body: event() })).status).toBe(202);
  const log = await call(t.url, 'GET', '/v1/events?category=api_keys', { key: acme.key });
  expect(log.body.entries[0]).toMatchObject({ action: 'api_key.rotated', target_id: res.body.id, actor_type: 'user', actor_email: acme.email });
});

it('revokes: the key stops working within a second, and it is audited', async () => {
  const res = await create(acme, { name: 'revoke me', scopes: ['events:write'] });
  expect((await call(t.url, 'POST', '/v1/events', { key: res.body.key, body: event() })).status).toBe(202);
  const del = await call(t.url, 'DELETE', `/v1/api-keys/${res.body.id}`, { session: acme.owner });
  expect(del.status).toBe(204);
  expect((await call(t.url, 'POST', '/v1/events', { key: res.body.key, body: event() })).status).toBe(401);
  const log = await call(t.url, 'GET', '/v1/events?action=api_key.revoked', { key: acme.key });
  expect(log.body.entries[0].target_id).toBe(res.body.id);
  // Listed with the revoked ones: when, and by whom (the owner's user id).
  const listed = (await call(t.url, 'GET', '/v1/api-keys?include=revoked', { session: acme.owner })).body.data as { id: string; revoked_at: string | null; revoked_by: string | null }[];
  expect(listed.find((k) => k.id === res.body.id)).toMatchObject({ revoked_at: expect.any(String), revoked_by: acme.userId });
});

it('a revocation made by another API process reaches this one within a second', async () => {
  const other = await (await import('./harness')).startApp();
  try {
    const res = await create(acme, { name: 'cross-process', scopes: ['events:write'] });
    expect((await call(t.url, 'POST', '/v1/events', { key: res.body.key, body: event() })).status).toBe(202);
    await call(other.url, 'DELETE', `/v1/api-keys/${res.body.id}`, { session: acme.owner });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call(t.url, 'POST', '/v1/events', { key: res.body.key, body: event() })).status).toBe(401);
  } finally {
    await other.close();
  }
});

it('another tenant gets 404 for rotate and revoke, and its list shows none of ours', async () => {
  const res = await create(acme, { name: 'mine', scopes: ['events:write'] });
  expect((await call(t.url, 'POST', `/v1/api-keys/${res.body.id}/rotate`, { session: globex.owner })).status).toBe(404);
  expect((await call(t.url, 'DELETE', `/v1/api-keys/${res.body.id}`, { key: globex.key })).status).toBe(404);
  const theirs = await call(t.url, 'GET', '/v1/api-keys', { key: globex.key });
  expect(theirs.body.data.map((k: { id: string }) => k.id)).not.toContain(res.body.id);
  expect((await call(t.url, 'POST', '/v1/events', { key: res.body.key, body: event() })).status).toBe(202);
});

it('a key without the admin scope cannot manage keys', async () => {
  const res = await create(acme, { name: 'writer', scopes: ['events:write'] });
  expect((await call(t.url, 'GET', '/v1/api-keys', { key: res.body.key })).status).toBe(403);
});
