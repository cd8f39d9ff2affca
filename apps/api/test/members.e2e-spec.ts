import { addMember, call, createTenant, login, sessionFrom, startApp, uniqueEmail, type Tenant, type TestApp } from './harness';

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

describe('one person in several accounts', () => {
  it('joins a second account with the existing login\'s password, lists both, and switches between them', async () => {
    // Globex's owner is invited to Acme as an admin.
    const inv = await call(t.url, 'POST', '/v1/members/invitations', { session: acme.owner, body: { email: globex.email.toUpperCase(), role: 'admin' } });
    expect(inv.status).toBe(201);
    const wrong = await call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.detail).toContain('already has an Audit Trail login');
    const joined = await call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { password: globex.password } });
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({ account_id: acme.accountId, user_id: globex.userId });
    const acmeSession = sessionFrom(joined);

    const me = await call(t.url, 'GET', '/v1/account', { session: acmeSession });
    expect(me.body.id).toBe(acme.accountId);
    expect(me.body.accounts.map((a: { id: string; role: string }) => [a.id, a.role])).toEqual([
      [globex.accountId, 'owner'],
      [acme.accountId, 'admin'],
    ]);

    // Switch to Globex: a new session there; the Acme session ends. Each log records its side.
    const sw = await call(t.url, 'POST', '/v1/auth/switch', { session: acmeSession, body: { account_id: globex.accountId } });
    expect(sw.status).toBe(200);
    expect(sw.body.account_id).toBe(globex.accountId);
    const globexSession = sessionFrom(sw);
    expect((await call(t.url, 'GET', '/v1/account', { session: globexSession })).body.id).toBe(globex.accountId);
    expect((await call(t.url, 'GET', '/v1/account', { session: acmeSession })).status).toBe(401);
    const globexLog = await call(t.url, 'GET', '/v1/events?action=auth.login', { key: globex.key });
    expect(globexLog.body.entries[0]).toMatchObject({ actor_id: globex.userId, metadata: { method: 'account_switch' } });
    const acmeLog = await call(t.url, 'GET', '/v1/events?action=auth.logout&action=member.joined', { key: acme.key });
    expect(acmeLog.body.entries.slice(0, 2).map((e: { action: string; metadata: object }) => [e.action, e.metadata])).toEqual([
      ['auth.logout', { reason: 'account_switch' }],
      ['member.joined', { role: 'admin', invitation_id: inv.body.id, existing_login: true }],
    ]);
    // Signing in with the account chosen works too.
    expect((await call(t.url, 'POST', '/v1/auth/login', { body: { email: globex.email, password: globex.password, account_id: acme.accountId } })).body.account_id).toBe(acme.accountId);
  });

  it('refuses to switch into an account the person is not in (404), without CSRF (403), or with an API key (400)', async () => {
    const other = await createTenant(t, 'premium', 'Initech');
    const before = await call(t.url, 'GET', '/v1/events?action=auth.login&action=auth.logout', { key: other.key });
    const res = await call(t.url, 'POST', '/v1/auth/switch', { session: acme.owner, body: { account_id: other.accountId } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await call(t.url, 'POST', '/v1/auth/switch', { session: acme.owner, body: { account_id: 'nope' } })).status).toBe(422);
    expect((await call(t.url, 'POST', '/v1/auth/switch', { session: acme.owner, csrf: false, body: { account_id: globex.accountId } })).status).toBe(403);
    expect((await call(t.url, 'POST', '/v1/auth/switch', { key: acme.key, body: { account_id: globex.accountId } })).status).toBe(400);
    // The Acme session still works; nothing was written in the other account.
    expect((await call(t.url, 'GET', '/v1/account', { session: acme.owner })).body.id).toBe(acme.accountId);
    const after = await call(t.url, 'GET', '/v1/events?action=auth.login&action=auth.logout', { key: other.key });
    expect(after.body.entries).toEqual(before.body.entries);
  });

  it('a new person must choose a name and a 10-character password', async () => {
    const inv = await call(t.url, 'POST', '/v1/members/invitations', { session: acme.owner, body: { email: uniqueEmail('newbie'), role: 'member' } });
    const res = await call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { password: 'short' } });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['name', 'password']);
    expect((await call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { name: 'Newbie', password: 'a long enough password' } })).status).toBe(201);
  });
});

it('lists a pending invitation and revokes it: the link stops working, the revocation is audited, another tenant gets 404', async () => {
  const email = uniqueEmail('pending');
  const inv = await call(t.url, 'POST', '/v1/members/invitations', { session: acme.owner, body: { email, role: 'member', workspace_ids: [] } });
  const listed = (await call(t.url, 'GET', '/v1/members', { session: acme.owner })).body.invitations;
  expect(listed).toEqual(expect.arrayContaining([expect.objectContaining({ id: inv.body.id, email })]));
  expect((await call(t.url, 'DELETE', `/v1/members/invitations/${inv.body.id}`, { key: globex.key })).status).toBe(404);
  expect((await call(t.url, 'DELETE', `/v1/members/invitations/${inv.body.id}`, { session: acme.owner })).status).toBe(204);
  expect((await call(t.url, 'DELETE', `/v1/members/invitations/${inv.body.id}`, { session: acme.owner })).status).toBe(404);
  expect((await call(t.url, 'GET', '/v1/members', { session: acme.owner })).body.invitations.some((i: { id: string }) => i.id === inv.body.id)).toBe(false);
  const accept = await call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { name: 'Too late', password: 'a long enough password' } });
  expect(accept.status).toBe(404);
  const log = (await call(t.url, 'GET', '/v1/events?action=member.invitation_revoked', { key: acme.key })).body.entries;
  expect(log[0]).toMatchObject({ source: 'platform', target_id: inv.body.id, metadata: { email, role: 'member' } });
});
