import { randomUUID } from 'node:crypto';
import { call, createTenant, login, setPlan, startApp, type Tenant, type TestApp, uniqueEmail } from './harness';

// SCIM 2.0 provisioning (RFC 7643/7644): tokens, Users, deactivation, errors in SCIM's format.
let t: TestApp;
let acme: Tenant;
let acmeScim: string;

beforeAll(async () => {
  t = await startApp();
  acme = await createTenant(t, 'enterprise', 'SCIM Co');
  acmeScim = (await call(t.url, 'POST', '/v1/scim/tokens', { session: acme.owner, body: { name: 'Okta' } })).body.token;
});
afterAll(async () => {
  await t?.close();
});

const SCIM_JSON = { 'content-type': 'application/scim+json' };
const scim = (token: string, method: string, path: string, body?: unknown) =>
  call(t.url, method, `/scim/v2${path}`, { key: token, ...(body !== undefined ? { raw: JSON.stringify(body), headers: SCIM_JSON } : {}) });
const user = (email: string, extra: Record<string, unknown> = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: email,
  name: { givenName: 'Pat', familyName: 'Lee' },
  emails: [{ value: email, primary: true }],
  active: true,
  externalId: `ext-${randomUUID().slice(0, 8)}`,
  ...extra,
});
const log = async (x: Tenant, qs: string) => (await call(t.url, 'GET', `/v1/events?${qs}`, { key: x.key })).body.entries as Record<string, any>[];

describe('SCIM tokens', () => {
  it('are shown once, listed without secrets, revocable, and exist only on plans with SCIM', async () => {
    const x = await createTenant(t, 'enterprise', 'Tokens Co');
    const created = await call(t.url, 'POST', '/v1/scim/tokens', { session: x.owner, body: { name: 'Entra ID' } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^scim_/);
    const list = await call(t.url, 'GET', '/v1/scim/tokens', { key: x.key });
    expect(list.body.data).toEqual([expect.objectContaining({ id: created.body.id, name: 'Entra ID' })]);
    expect(list.text).not.toContain(created.body.token);
    expect((await scim(created.body.token, 'GET', '/Users')).status).toBe(200);
    // Another account cannot revoke it; its own admin can, and it stops at once.
    const y = await createTenant(t, 'enterprise', 'Other Tokens Co');
    expect((await call(t.url, 'DELETE', `/v1/scim/tokens/${created.body.id}`, { key: y.key })).status).toBe(404);
    expect((await call(t.url, 'DELETE', `/v1/scim/tokens/${created.body.id}`, { key: x.key })).status).toBe(204);
    const revoked = await scim(created.body.token, 'GET', '/Users');
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('content-type')).toContain('application/scim+json');
    expect(revoked.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
    expect((await log(x, 'action=scim.token_created'))[0]).toMatchObject({ target_name: 'Entra ID', actor_type: 'user', actor_email: x.email });
    // The revocation is recorded once, by the key that did it, against the token it ended (and not by the other account's attempt).
    const revocations = await log(x, 'action=scim.token_revoked');
    expect(revocations).toHaveLength(1);
    expect(revocations[0]).toMatchObject({ target_type: 'scim_token', target_id: created.body.id, target_name: 'Entra ID', actor_type: 'api_key' });
    expect(await log(y, 'action=scim.token_revoked')).toEqual([]);
    expect(JSON.stringify(await log(x, 'category=members'))).not.toContain(created.body.token);
    // Without SCIM on the plan, the routes do not exist.
    const second = (await call(t.url, 'POST', '/v1/scim/tokens', { key: x.key, body: { name: 'later' } })).body.token;
    await setPlan(t, x.accountId, 'premium');
    expect((await call(t.url, 'GET', '/v1/scim/tokens', { key: x.key })).status).toBe(404);
    expect((await scim(second, 'GET', '/Users')).status).toBe(404);
  });

  it('are never API keys, and the reverse', async () => {
    const asKey = await scim(acme.key, 'GET', '/Users');
    expect(asKey.status).toBe(401);
    expect(asKey.body.detail).toContain('SCIM token');
    expect((await call(t.url, 'GET', '/v1/events', { key: acmeScim })).status).toBe(401);
    expect((await call(t.url, 'POST', '/v1/events', { key: acmeScim, body: { action: 'a.b', actor: { type: 'system' } } })).status).toBe(401);
  });
});

describe('SCIM Users', () => {
  it('creates, finds by userName, pages, reads, replaces and deletes members', async () => {
    const email = uniqueEmail('scim');
    expect((await scim(acmeScim, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`)).body).toMatchObject({ totalResults: 0, Resources: [] });
    const created = await scim(acmeScim, 'POST', '/Users', user(email));
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toContain('application/scim+json');
    expect(created.body).toMatchObject({ userName: email, active: true, displayName: 'Pat Lee', meta: { resourceType: 'User' } });
    const id = created.body.id as string;
    expect((await scim(acmeScim, 'POST', '/Users', user(email.toUpperCase()))).body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    const found = await scim(acmeScim, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`);
    expect(found.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 1 });
    expect(found.body.Resources[0].id).toBe(id);
    const byExternal = await scim(acmeScim, 'GET', `/Users?filter=${encodeURIComponent(`externalId eq "${created.body.externalId}"`)}`);
    expect(byExternal.body.Resources.map((r: { id: string }) => r.id)).toEqual([id]);
    // Paging: startIndex is 1-based.
    const page = await scim(acmeScim, 'GET', '/Users?startIndex=1&count=1');
    expect(page.body.itemsPerPage).toBe(1);
    expect(page.body.totalResults).toBeGreaterThanOrEqual(2);
    expect((await scim(acmeScim, 'GET', `/Users/${id}`)).body.userName).toBe(email);
    // The new member is in the console's list; the new login has no password that works.
    expect((await call(t.url, 'GET', '/v1/members', { key: acme.key })).body.data.map((m: { email: string }) => m.email)).toContain(email);
    expect((await login(t, email, '')).status).not.toBe(200);
    expect((await login(t, email, '!provisioned')).status).toBe(401);
    // PUT replaces the name; the email cannot change here.
    const put = await scim(acmeScim, 'PUT', `/Users/${id}`, user(email, { name: { formatted: 'Pat Q. Lee' }, externalId: 'ext-new' }));
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ displayName: 'Pat Q. Lee', externalId: 'ext-new' });
    expect((await scim(acmeScim, 'PUT', `/Users/${id}`, user(uniqueEmail('other')))).body).toMatchObject({ status: '400', scimType: 'mutability' });
    expect((await scim(acmeScim, 'DELETE', `/Users/${id}`)).status).toBe(204);
    const gone = await scim(acmeScim, 'GET', `/Users/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
    const audited = (await log(acme, 'category=members')).filter((e) => e.action.startsWith('scim.user_') && e.target_name === email).map((e) => e.action);
    expect(audited.sort()).toEqual(['scim.user_created', 'scim.user_deleted', 'scim.user_updated']);
    const first = (await log(acme, 'action=scim.user_created')).find((e) => e.target_name === email) as Record<string, any>;
    expect(first).toMatchObject({ source: 'platform', actor_type: 'system', actor_name: 'SCIM provisioning' });
    expect(JSON.stringify(first)).not.toContain(acmeScim);
  });

  it('deactivates with active: false (as Entra ID and Okta send it): sessions end at once, sign-in to the account stops, reactivation restores it', async () => {
    // An existing login (a person with an account of their own) is provisioned into SCIM Co.
    const person = await createTenant(t, 'premium', 'Person Co');
    const created = await scim(acmeScim, 'POST', '/Users', user(person.email));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const session = await call(t.url, 'POST', '/v1/auth/login', { body: { email: person.email, password: person.password, account_id: acme.accountId } });
    expect(session.status).toBe(200);
    const cookie = { cookie: session.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '), csrf: session.body.csrf_token };
    expect((await call(t.url, 'GET', '/v1/account', { session: cookie })).body.id).toBe(acme.accountId);
    // Entra ID: {"op": "Replace", "path": "active", "value": "False"}
    const off = await scim(acmeScim, 'PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await call(t.url, 'GET', '/v1/account', { session: cookie })).status).toBe(401);
    expect((await call(t.url, 'POST', '/v1/auth/login', { body: { email: person.email, password: person.password, account_id: acme.accountId } })).status).toBe(404);
    // Their own account is untouched.
    expect((await login(t, person.email, person.password)).status).toBe(200);
    const deactivated = (await log(acme, 'action=scim.user_deactivated')).find((e) => e.target_name === person.email);
    expect(deactivated?.metadata.sessions_ended).toBe(1);
    // Okta: {"op": "replace", "value": {"active": true}}
    const on = await scim(acmeScim, 'PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: true } }] });
    expect(on.body.active).toBe(true);
    expect((await call(t.url, 'POST', '/v1/auth/login', { body: { email: person.email, password: person.password, account_id: acme.accountId } })).status).toBe(200);
  });

  it('answers bad input with SCIM errors and writes nothing; another account’s users are 404', async () => {
    const before = (await scim(acmeScim, 'GET', '/Users')).body.totalResults;
    const cases: [unknown, string][] = [
      [{ schemas: [] }, 'invalidValue'],
      [{ userName: 'not-an-email' }, 'invalidValue'],
      [{ userName: uniqueEmail('x'), active: 'maybe' }, 'invalidValue'],
    ];
    for (const [body, scimType] of cases) {
      const res = await scim(acmeScim, 'POST', '/Users', body);
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe(scimType);
    }
    expect((await scim(acmeScim, 'GET', `/Users?filter=${encodeURIComponent('name.familyName co "x"')}`)).body).toMatchObject({ status: '400', scimType: 'invalidFilter' });
    expect((await scim(acmeScim, 'PATCH', `/Users/${randomUUID()}`, { Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(404);
    expect((await scim(acmeScim, 'GET', '/Users')).body.totalResults).toBe(before);
    // Another enterprise account's token sees none of SCIM Co's members.
    const y = await createTenant(t, 'enterprise', 'Elsewhere Co');
    const yScim = (await call(t.url, 'POST', '/v1/scim/tokens', { key: y.key, body: { name: 'Okta' } })).body.token;
    const ours = (await scim(acmeScim, 'POST', '/Users', user(uniqueEmail('ours')))).body.id as string;
    for (const [method, body] of [['GET'], ['PUT', user(uniqueEmail('z'))], ['PATCH', { Operations: [{ op: 'replace', path: 'active', value: false }] }], ['DELETE']] as const) {
      expect((await scim(yScim, method, `/Users/${ours}`, body)).status).toBe(404);
    }
    expect((await scim(acmeScim, 'GET', `/Users/${ours}`)).body.active).toBe(true);
  });

  it('never deactivates or deletes the last active owner', async () => {
    const x = await createTenant(t, 'enterprise', 'Owner Co');
    const token = (await call(t.url, 'POST', '/v1/scim/tokens', { key: x.key, body: { name: 'Okta' } })).body.token;
    const owner = (await scim(token, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${x.email}"`)}`)).body.Resources[0].id as string;
    expect((await scim(token, 'PATCH', `/Users/${owner}`, { Operations: [{ op: 'replace', path: 'active', value: false }] })).body).toMatchObject({ status: '409', scimType: 'mutability' });
    expect((await scim(token, 'DELETE', `/Users/${owner}`)).status).toBe(409);
    expect((await call(t.url, 'GET', '/v1/account', { session: x.owner })).status).toBe(200);
  });
});

describe('SCIM Groups', () => {
  it('mirror the identity provider; a mapped group grants its role and workspaces, and leaving it takes them away', async () => {
    const x = await createTenant(t, 'enterprise', 'Groups Co');
    const token = (await call(t.url, 'POST', '/v1/scim/tokens', { key: x.key, body: { name: 'Okta' } })).body.token;
    const alice = (await scim(token, 'POST', '/Users', user(uniqueEmail('alice')))).body.id as string;
    const bob = (await scim(token, 'POST', '/Users', user(uniqueEmail('bob')))).body.id as string;
    const group = await scim(token, 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Audit Admins', members: [{ value: alice }] });
    expect(group.status).toBe(201);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([alice]);
    const gid = group.body.id as string;
    expect((await scim(token, 'POST', '/Groups', { displayName: 'Audit Admins' })).body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    expect((await scim(token, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "Audit Admins"')}`)).body.totalResults).toBe(1);
    const roleOf = async (id: string) => ((await call(t.url, 'GET', '/v1/members', { key: x.key })).body.data as { id: string; role: string; workspace_ids: string[] }[]).find((m) => m.id === id);
    // Unmapped, a group grants nothing.
    expect((await roleOf(alice))?.role).toBe('member');
    // An admin maps it to the admin role: its people become admins.
    const mapped = await call(t.url, 'PUT', `/v1/scim/groups/${gid}`, { key: x.key, body: { role: 'admin' } });
    expect(mapped.status).toBe(200);
    expect((await roleOf(alice))?.role).toBe('admin');
    // Okta adds Bob; Entra removes Alice with a filtered path.
    await scim(token, 'PATCH', `/Groups/${gid}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: bob }] }] });
    expect((await roleOf(bob))?.role).toBe('admin');
    await scim(token, 'PATCH', `/Groups/${gid}`, { Operations: [{ op: 'Remove', path: `members[value eq "${alice}"]` }] });
    expect(await roleOf(alice)).toMatchObject({ role: 'member', workspace_ids: [] });
    // A group mapped to member with workspaces makes its people admins of those workspaces.
    const support = (await scim(token, 'POST', '/Groups', { displayName: 'Support', members: [{ value: alice }] })).body.id as string;
    expect((await call(t.url, 'PUT', `/v1/scim/groups/${support}`, { key: x.key, body: { role: 'member', workspace_ids: [x.workspaceId] } })).status).toBe(200);
    expect(await roleOf(alice)).toMatchObject({ role: 'member', workspace_ids: [x.workspaceId] });
    // Deleting the admin group takes its role from Bob.
    expect((await scim(token, 'DELETE', `/Groups/${gid}`)).status).toBe(204);
    expect((await roleOf(bob))?.role).toBe('member');
    const changes = (await log(x, 'action=member.role_changed')).filter((e) => e.metadata?.via === 'scim_groups');
    expect(changes.length).toBeGreaterThanOrEqual(4);
    expect((await log(x, 'action=scim.group_mapped')).find((e) => e.target_name === 'Audit Admins')).toMatchObject({ changes: { before: { role: null }, after: { role: 'admin' } } });
    // Mapping checks its input and its account.
    expect((await call(t.url, 'PUT', `/v1/scim/groups/${support}`, { key: x.key, body: { role: 'member', workspace_ids: [randomUUID()] } })).status).toBe(422);
    expect((await call(t.url, 'PUT', `/v1/scim/groups/${support}`, { key: x.key, body: { role: 'superuser' } })).status).toBe(422);
    const y = await createTenant(t, 'enterprise', 'Foreign Groups Co');
    expect((await call(t.url, 'PUT', `/v1/scim/groups/${support}`, { key: y.key, body: { role: 'admin' } })).status).toBe(404);
    const yToken = (await call(t.url, 'POST', '/v1/scim/tokens', { key: y.key, body: { name: 'Okta' } })).body.token;
    expect((await scim(yToken, 'GET', `/Groups/${support}`)).status).toBe(404);
    // Another account's member ids are dropped from a group, never added.
    const stranger = (await scim(yToken, 'POST', '/Users', user(uniqueEmail('stranger')))).body.id as string;
    const patched = await scim(token, 'PATCH', `/Groups/${support}`, { Operations: [{ op: 'add', path: 'members', value: [{ value: stranger }] }] });
    expect(patched.body.members.map((m: { value: string }) => m.value)).toEqual([alice]);
  });
});

