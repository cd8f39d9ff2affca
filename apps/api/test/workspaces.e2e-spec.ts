import { call, createTenant, startApp, type Tenant, type TestApp } from './harness';

let t: TestApp;
let acme: Tenant;
let globex: Tenant;
beforeAll(async () => {
  t = await startApp();
  acme = await createTenant(t, 'premium', 'Acme');
  globex = await createTenant(t, 'premium', 'Globex');
});
afterAll(() => t.close());

it('creates, renames and deletes a workspace, each audited in the account log', async () => {
  const created = await call(t.url, 'POST', '/v1/workspaces', { session: acme.owner, body: { name: 'Staging' } });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ id: expect.any(String), name: 'Staging' });
  const renamed = await call(t.url, 'PATCH', `/v1/workspaces/${created.body.id}`, { session: acme.owner, body: { name: 'QA' } });
  expect(renamed.body.name).toBe('QA');
  expect((await call(t.url, 'DELETE', `/v1/workspaces/${created.body.id}`, { session: acme.owner })).status).toBe(204);
  const log = await call(t.url, 'GET', '/v1/events?category=workspaces', { key: acme.key });
  expect(log.body.entries.map((e: { action: string }) => e.action)).toEqual(['workspace.deleted', 'workspace.renamed', 'workspace.created']);
  expect(log.body.entries[1].changes).toEqual({ before: { name: 'Staging' }, after: { name: 'QA' } });
  expect(log.body.entries.every((e: { workspace_id: string | null }) => e.workspace_id === null)).toBe(true);
});

it('validates names and keeps the last workspace', async () => {
  expect((await call(t.url, 'POST', '/v1/workspaces', { session: acme.owner, body: { name: '' } })).status).toBe(422);
  expect((await call(t.url, 'POST', '/v1/workspaces', { session: acme.owner, body: {} })).status).toBe(422);
  const solo = await createTenant(t, 'premium', 'Solo');
  expect((await call(t.url, 'DELETE', `/v1/workspaces/${solo.workspaceId}`, { session: solo.owner })).status).toBe(409);
});

it('another tenant gets 404 for rename and delete, and does not list ours', async () => {
  expect((await call(t.url, 'PATCH', `/v1/workspaces/${acme.workspaceId}`, { session: globex.owner, body: { name: 'Hijack' } })).status).toBe(404);
  expect((await call(t.url, 'DELETE', `/v1/workspaces/${acme.workspaceId}`, { key: globex.key })).status).toBe(404);
  expect((await call(t.url, 'PATCH', `/v1/workspaces/not-a-uuid`, { session: globex.owner, body: { name: 'x' } })).status).toBe(404);
  const theirs = await call(t.url, 'GET', '/v1/workspaces', { key: globex.key });
  expect(theirs.body.data.map((w: { id: string }) => w.id)).toEqual([globex.workspaceId]);
});
