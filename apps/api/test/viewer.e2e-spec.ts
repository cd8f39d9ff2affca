import { randomUUID } from 'node:crypto';
import { READ_WINDOW_MS, ReadAuditService } from '../src/self-audit/read-audit.service';
import { issueViewerToken } from '../src/viewer/viewer-token';
import { addMember, call, createTenant, event, setPlan, startApp, type Tenant, type TestApp } from './harness';

// The embedded viewer: POST /v1/viewer-tokens, and the slice a token reads.
let t: TestApp;
let acme: Tenant;
let globex: Tenant;
const ORIGIN = 'http://127.0.0.1:5999';

beforeAll(async () => {
  t = await startApp({ QUEUE_PREFIX: `test-viewer-${randomUUID().slice(0, 8)}` });
  acme = await createTenant(t, 'premium', 'Acme');
  globex = await createTenant(t, 'premium', 'Globex');
});
afterAll(async () => {
  await t?.close();
});

async function mint(x: Tenant, body: Record<string, unknown>) {
  return call(t.url, 'POST', '/v1/viewer-tokens', { key: x.key, body });
}

const asViewer = (token: string, path: string, headers: Record<string, string> = {}) => call(t.url, 'GET', path, { key: token, headers });

async function ingest(x: Tenant, events: Record<string, unknown>[]): Promise<string[]> {
  const res = await call(t.url, 'POST', '/v1/events', { key: x.key, body: { events } });
  expect(res.status).toBe(202);
  return res.body.ids;
}

/** Events about one of Acme's customers' projects, and others around them. */
async function seed(x: Tenant, project: string) {
  const [mine1, mine2, otherProject, otherActor] = await ingest(x, [
    event({ workspace_id: x.workspaceId, action: 'project.renamed', target: { type: 'project', id: project }, changes: { before: { name: 'a' }, after: { name: 'b' } } }),
    event({ workspace_id: x.workspaceId, action: 'project.deleted', target: { type: 'project', id: project } }),
    event({ workspace_id: x.workspaceId, action: 'project.renamed', target: { type: 'project', id: `${project}-other` } }),
    event({ workspace_id: x.workspaceId, action: 'document.update', target: { type: 'document', id: project } }),
  ]);
  // The same target in the account log is another log: not in a workspace token's slice.
  const [accountLog] = await ingest(x, [event({ action: 'project.renamed', target: { type: 'project', id: project } })]);
  return { mine1, mine2, otherProject, otherActor, accountLog };
}

describe('viewer tokens', () => {
  it('read only their slice: the query narrows it and never widens it, single entries outside it are 404', async () => {
    const project = `p_${randomUUID().slice(0, 8)}`;
    const ids = await seed(acme, project);
    const minted = await mint(acme, { scope: 'workspace', workspace_id: acme.workspaceId, filter: { target_type: 'project', target_id: project }, viewer: { id: 'cust_9', email: 'carol@customer.test' }, ttl_seconds: 600 });
    expect(minted.status).toBe(201);
    expect(minted.body.token).toMatch(/^atv_/);
    const left = Date.parse(minted.body.expires_at) - Date.now();
    expect(left).toBeGreaterThan(590_000);
    expect(left).toBeLessThanOrEqual(600_000);
    const token = minted.body.token;

    const all = await asViewer(token, '/v1/viewer/events');
    expect(all.status).toBe(200);
    expect(all.body.entries.map((e: { id: string }) => e.id)).toEqual([ids.mine2, ids.mine1]);
    // The tenant's own key ids are not shown to its customers.
    expect(all.body.entries[0]).not.toHaveProperty('api_key_id');
    expect(all.body.entries[1].changes).toEqual({ before: { name: 'a' }, after: { name: 'b' } });
    // Narrowing works; asking for another target gives nothing rather than more.
    expect((await asViewer(token, '/v1/viewer/events?action=project.deleted')).body.entries.map((e: { id: string }) => e.id)).toEqual([ids.mine2]);
    expect((await asViewer(token, `/v1/viewer/events?target_id=${project}-other`)).body.entries).toEqual([]);
    expect((await asViewer(token, '/v1/viewer/events?target_type=document')).body.entries).toEqual([]);
    // Paging follows the same slice.
    const first = await asViewer(token, '/v1/viewer/events?limit=1');
    expect(first.body.entries.map((e: { id: string }) => e.id)).toEqual([ids.mine2]);
    const second = await asViewer(token, `/v1/viewer/events?limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect(second.body.entries.map((e: { id: string }) => e.id)).toEqual([ids.mine1]);
    expect(second.body.next_cursor).toBeNull();

    expect((await asViewer(token, `/v1/viewer/events/${ids.mine1}`)).status).toBe(200);
    for (const outside of [ids.otherProject, ids.otherActor, ids.accountLog]) {
      expect((await asViewer(token, `/v1/viewer/events/${outside}`)).status).toBe(404);
    }
    // Parameters that would leave the log are not parameters here.
    expect((await asViewer(token, '/v1/viewer/events?scope=account')).status).toBe(400);
    expect((await asViewer(token, `/v1/viewer/events?workspace_id=${acme.workspaceId}`)).status).toBe(400);
  });

  it('restricts actions, with prefixes as in the query', async () => {
    const project = `p_${randomUUID().slice(0, 8)}`;
    const ids = await seed(acme, project);
    const token = (await mint(acme, { scope: 'workspace', workspace_id: acme.workspaceId, filter: { target_id: project, actions: ['project.del*'] }, viewer: { id: 'cust_1' } })).body.token;
    expect((await asViewer(token, '/v1/viewer/events')).body.entries.map((e: { id: string }) => e.id)).toEqual([ids.mine2]);
    expect((await asViewer(token, '/v1/viewer/events?action=project.renamed')).body.entries).toEqual([]);
    expect((await asViewer(token, `/v1/viewer/events/${ids.mine1}`)).status).toBe(404);
  });

  it('open nothing else: every other route, a changed or expired token, and an API key on the viewer routes answer 401', async () => {
    const token = (await mint(acme, { viewer: { id: 'cust_2' } })).body.token;
    expect((await asViewer(token, '/v1/viewer/events')).status).toBe(200);
    for (const [method, path] of [['GET', '/v1/events'], ['GET', '/v1/events/feed'], ['GET', '/v1/account'], ['GET', '/v1/api-keys'], ['POST', '/v1/viewer-tokens']] as const) {
      const res = await call(t.url, method, path, { key: token, body: method === 'POST' ? { viewer: { id: 'x' } } : undefined });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await call(t.url, 'POST', '/v1/events', { key: token, body: event() })).status).toBe(401);
    // One character changed in the claims or the signature.
    const [payload, sig] = token.slice(4).split('.');
    const flip = (s: string) => (s[5] === 'A' ? `${s.slice(0, 5)}B${s.slice(6)}` : `${s.slice(0, 5)}A${s.slice(6)}`);
    expect((await asViewer(`atv_${flip(payload)}.${sig}`, '/v1/viewer/events')).status).toBe(401);
    expect((await asViewer(`atv_${payload}.${flip(sig)}`, '/v1/viewer/events')).status).toBe(401);
    // Signed right but expired; signed with another secret.
    const claims = { accountId: acme.accountId, workspaceId: null, slice: {}, viewer: { id: 'cust_2' }, origins: [], issuer: 'test' };
    expect((await asViewer(issueViewerToken(t.config.SESSION_SECRET, { ...claims, expires: Math.floor(Date.now() / 1000) - 1 }), '/v1/viewer/events')).status).toBe(401);
    expect((await asViewer(issueViewerToken('x'.repeat(40), { ...claims, expires: Math.floor(Date.now() / 1000) + 60 }), '/v1/viewer/events')).status).toBe(401);
    expect((await asViewer(issueViewerToken(t.config.SESSION_SECRET, { ...claims, expires: Math.floor(Date.now() / 1000) + 60 }), '/v1/viewer/events')).status).toBe(200);
    // An API key or a session is not a viewer token.
    expect((await call(t.url, 'GET', '/v1/viewer/events', { key: acme.key })).status).toBe(401);
    expect((await call(t.url, 'GET', '/v1/viewer/events', { session: acme.owner })).status).toBe(401);
    expect((await call(t.url, 'GET', '/v1/viewer/events')).status).toBe(401);
  });

  it('are minted by admins only, for a log of their own account, with clear 4xx for bad input', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{}, 'viewer'],
      [{ viewer: { id: 'c' }, ttl_seconds: 3601 }, 'ttl_seconds'],
      [{ viewer: { id: 'c' }, ttl_seconds: 'soon' }, 'ttl_seconds'],
      [{ viewer: { id: 'c' }, scope: 'workspace' }, 'workspace_id'],
      [{ viewer: { id: 'c' }, origins: ['https://app.example.com/path'] }, 'origins[0]'],
      [{ viewer: { id: 'c' }, origins: ['javascript:alert(1)'] }, 'origins[0]'],
      [{ viewer: { id: 'c', email: 'not-an-email' } }, 'viewer.email'],
      [{ viewer: { id: 'c' }, filter: { actions: [] } }, 'filter.actions'],
      [{ viewer: { id: 'c' }, filter: { tenant: 'x' } }, 'filter.tenant'],
    ];
    for (const [body, path] of bad) {
      const res = await mint(acme, body);
      expect(res.status).toBe(422);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    // Another account's workspace is refused like a made-up one.
    const other = await mint(acme, { scope: 'workspace', workspace_id: globex.workspaceId, viewer: { id: 'c' } });
    expect(other.status).toBe(422);
    expect(other.body.errors[0].path).toBe('workspace_id');
    // A member without admin rights, and an API key without the admin scope, cannot mint.
    const member = await addMember(t, acme, 'member', [acme.workspaceId]);
    expect((await call(t.url, 'POST', '/v1/viewer-tokens', { session: member.session, body: { viewer: { id: 'c' } } })).status).toBe(403);
    const readKey = (await call(t.url, 'POST', '/v1/api-keys', { session: acme.owner, body: { name: 'read only', scopes: ['events:read'] } })).body.key;
    expect((await call(t.url, 'POST', '/v1/viewer-tokens', { key: readKey, body: { viewer: { id: 'c' } } })).status).toBe(403);
    // The owner's console session can (with its CSRF token).
    expect((await call(t.url, 'POST', '/v1/viewer-tokens', { session: acme.owner, body: { viewer: { id: 'c' } } })).status).toBe(201);
  });

  it("never read another tenant's entries: another account's event is 404", async () => {
    const [theirs] = await ingest(globex, [event({ target: { type: 'project', id: 'shared-id' } })]);
    const token = (await mint(acme, { viewer: { id: 'c' }, filter: { target_id: 'shared-id' } })).body.token;
    expect((await asViewer(token, `/v1/viewer/events/${theirs}`)).status).toBe(404);
    expect((await asViewer(token, '/v1/viewer/events')).body.entries.map((e: { id: string }) => e.id)).not.toContain(theirs);
  });

  it('answer a browser on a listed origin only (CORS), and say why to the others', async () => {
    const token = (await mint(acme, { viewer: { id: 'c' }, origins: [ORIGIN] })).body.token;
    const pre = await fetch(`${t.url}/v1/viewer/events`, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:7777', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toBe('authorization');
    const ok = await asViewer(token, '/v1/viewer/events', { origin: ORIGIN });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const refused = await asViewer(token, '/v1/viewer/events', { origin: 'http://127.0.0.1:7777' });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('http://127.0.0.1:7777');
    // Without an Origin (a server), the token reads.
    expect((await asViewer(token, '/v1/viewer/events')).status).toBe(200);
    // No other route answers a preflight or allows an origin.
    const api = await fetch(`${t.url}/v1/events`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } });
    expect(api.headers.get('access-control-allow-origin')).toBeNull();
    const apiGet = await call(t.url, 'GET', '/v1/events', { key: acme.key, headers: { origin: ORIGIN } });
    expect(apiGet.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("record the viewer's reads under the viewer's name, and the minting under the minter's", async () => {
    const x = await createTenant(t, 'premium', 'Audited');
    const project = `p_${randomUUID().slice(0, 8)}`;
    const ids = await seed(x, project);
    const token = (await mint(x, { scope: 'workspace', workspace_id: x.workspaceId, filter: { target_id: project }, viewer: { id: 'cust_77', email: 'dora@customer.test' } })).body.token;
    expect((await asViewer(token, `/v1/viewer/events/${ids.mine1}`, { 'user-agent': 'Embed/1' })).status).toBe(200);
    expect((await asViewer(token, '/v1/viewer/events?action=project.renamed')).status).toBe(200);
    await t.app.get(ReadAuditService).sweep(Date.now() + READ_WINDOW_MS + 1000);
    const log = async (qs: string) => (await call(t.url, 'GET', `/v1/events?scope=workspace&workspace_id=${x.workspaceId}&${qs}`, { key: x.key })).body.entries as Record<string, any>[];
    const created = await log('action=viewer_token.created');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ source: 'platform', actor_type: 'api_key', target_type: 'viewer', target_id: 'cust_77', category: 'access' });
    expect(created[0].metadata).toMatchObject({ filter: { target_id: project }, origins: [], ttl_seconds: 900 });
    expect(JSON.stringify(created[0])).not.toContain(token.slice(4, 40));
    const viewed = await log('action=event.viewed');
    expect(viewed).toHaveLength(1);
    expect(viewed[0]).toMatchObject({ actor_type: 'viewer', actor_id: 'cust_77', actor_email: 'dora@customer.test', target_id: ids.mine1, user_agent: 'Embed/1' });
    const read = (await log('action=log.viewed')).filter((e) => e.actor_type === 'viewer');
    expect(read).toHaveLength(1);
    expect(read[0].actor_id).toBe('cust_77');
    expect(read[0].metadata.filters).toMatchObject({ action: ['project.renamed'], viewer_slice: { target_id: project } });
  });

  it('stop when the plan loses the audit log (404, like every hidden route), and minting is hidden too', async () => {
    const x = await createTenant(t, 'premium', 'Lapsing');
    const token = (await mint(x, { viewer: { id: 'c' } })).body.token;
    expect((await asViewer(token, '/v1/viewer/events')).status).toBe(200);
    await setPlan(t, x.accountId, 'free');
    expect((await asViewer(token, '/v1/viewer/events')).status).toBe(404);
    expect((await mint(x, { viewer: { id: 'c' } })).status).toBe(404);
  });
});

describe('GET /viewer.js', () => {
  it('serves the embeddable viewer to any origin, as a module script', async () => {
    const res = await fetch(`${t.url}/viewer.js`, { headers: { origin: 'http://127.0.0.1:5999' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.text()).toContain('audit-trail-viewer');
  });
});
