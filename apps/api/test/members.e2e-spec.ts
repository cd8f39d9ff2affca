import { addMember, call, createTenant, login, startApp, uniqueEmail, type Tenant, type TestApp } from './harness';

let t: TestApp;
let acme: Tenant;
let globex: Tenant;
beforeAll(async () => {
  t = await startApp();
  acme = await createTenant(t, 'premium', 'Acme');
  globex = await createTenant(t, 'premium', 'Globex');
});
afterAll(() => t.close());

const memberRow = async (tenant: Tenant, userId: string) =>
  (await call(t.url, 'GET', '/v1/members', { session: tenant.owner })).body.data.find((m: { user_id: string }) => m.user_id === userId);

it('invites, accepts, lists, and audits both steps', async () => {
  const email = uniqueEmail('invitee');
  const inv = await call(t.url, 'POST', '/v1/members/invitations', { session: acme.owner, body: { email, role: 'admin' } });
  expect(inv.status).toBe(201);
  expect(inv.body).toMatchObject({ id: expect.any(String), token: expect.any(String), expires_at: expect.any(String) });
  const pending = await call(t.url, 'GET', '/v1/members', { session: acme.owner });
  expect(pending.body.invitations.map((i: { email: string }) => i.email)).toContain(email);
  const acc = await call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { name: 'Ivy', password: 'ivy has a password' } });
  expect(acc.status).toBe(201);
  expect(acc.body.account_id).toBe(acme.accountId);
  expect((await call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { name: 'Ivy', password: 'ivy has a password' } })).status).toBe(404);
  expect((await login(t, email, 'ivy has a password')).status).toBe(200);
  const row = await memberRow(acme, acc.body.user_id);
  expect(row).toMatchObject({ email, role: 'admin', name: 'Ivy' });
  const log = await call(t.url, 'GET', '/v1/events?category=members', { key: acme.key });
  expect(log.body.entries.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['member.invited', 'member.joined']));
});

it('validates invitations', async () => {
  expect((await call(t.url, 'POST', '/v1/members/invitations', { session: acme.owner, body: { email: 'nope', role: 'admin' } })).status).toBe(422);
  expect((await call(t.url, 'POST', '/v1/members/invitations', { session: acme.owner, body: { email: uniqueEmail(), role: 'god' } })).status).toBe(422);
  expect((await call(t.url, 'POST', '/v1/members/invitations', { session: acme.owner, body: { email: uniqueEmail(), role: 'member', workspace_ids: [globex.workspaceId] } })).status).toBe(422);
  expect((await call(t.url, 'POST', '/v1/invitations/not-a-token/accept', { body: { name: 'x', password: 'long enough pw' } })).status).toBe(404);
});

it('changes a role with before/after in the log, and makes a member admin of chosen workspaces', async () => {
  const m = await addMember(t, acme, 'member');
  const row = await memberRow(acme, m.userId);
  const res = await call(t.url, 'PATCH', `/v1/members/${row.id}`, { session: acme.owner, body: { workspace_ids: [acme.workspaceId] } });
  expect(res.status).toBe(200);
  expect(res.body.workspace_ids).toEqual([acme.workspaceId]);
  const promoted = await call(t.url, 'PATCH', `/v1/members/${row.id}`, { session: acme.owner, body: { role: 'admin' } });
  expect(promoted.body.role).toBe('admin');
  const log = await call(t.url, 'GET', '/v1/events?action=member.role_changed', { key: acme.key });
  expect(log.body.entries[0].changes).toEqual({ before: { role: 'member', workspace_ids: [acme.workspaceId] }, after: { role: 'admin', workspace_ids: [acme.workspaceId] } });
});

it('protects owners: an admin cannot change or remove an owner; the last owner stays', async () => {
  const admin = await addMember(t, acme, 'admin');
  const ownerRow = await memberRow(acme, acme.userId);
  expect((await call(t.url, 'PATCH', `/v1/members/${ownerRow.id}`, { session: admin.session, body: { role: 'member' } })).status).toBe(403);
  expect((await call(t.url, 'DELETE', `/v1/members/${ownerRow.id}`, { session: admin.session })).status).toBe(403);
  expect((await call(t.url, 'PATCH', `/v1/members/${ownerRow.id}`, { session: acme.owner, body: { role: 'admin' } })).status).toBe(409);
  expect((await call(t.url, 'DELETE', `/v1/members/${ownerRow.id}`, { session: acme.owner })).status).toBe(409);
});

it('removes a member: their session ends and it is audited', async () => {
  const m = await addMember(t, acme, 'admin');
  const row = await memberRow(acme, m.userId);
  expect((await call(t.url, 'GET', '/v1/account', { session: m.session })).status).toBe(200);
  expect((await call(t.url, 'DELETE', `/v1/members/${row.id}`, { session: acme.owner })).status).toBe(204);
  expect((await call(t.url, 'GET', '/v1/account', { session: m.session })).status).toBe(401);
  const log = await call(t.url, 'GET', '/v1/events?action=member.removed', { key: acme.key });
  expect(log.body.entries[0].target_id).toBe(m.userId);
});

it('another tenant gets 404 for change and removal, and sees none of our members', async () => {
  const m = await addMember(t, acme, 'member');
  const row = await memberRow(acme, m.userId);
  expect((await call(t.url, 'PATCH', `/v1/members/${row.id}`, { session: globex.owner, body: { role: 'admin' } })).status).toBe(404);
  expect((await call(t.url, 'DELETE', `/v1/members/${row.id}`, { key: globex.key })).status).toBe(404);
  const theirs = await call(t.url, 'GET', '/v1/members', { session: globex.owner });
  expect(theirs.body.data.map((x: { user_id: string }) => x.user_id)).not.toContain(m.userId);
});
