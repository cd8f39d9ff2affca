import { call, createTenant, event, startApp, type Tenant, type TestApp } from './harness';

// Every entry says who wrote it: the platform, or a tenant over the API
// (and with which key). Only the platform's own writer can write `platform`.

let t: TestApp;
let acme: Tenant;
let globex: Tenant;
let keyId: string;

beforeAll(async () => {
  t = await startApp();
  acme = await createTenant(t, 'premium', 'Acme');
  globex = await createTenant(t, 'premium', 'Globex');
  keyId = (await call(t.url, 'GET', '/v1/api-keys', { key: acme.key })).body.data[0].id;
});
afterAll(() => t.close());

const get = (id: string, key = acme.key) => call(t.url, 'GET', `/v1/events/${id}`, { key });

describe('provenance', () => {
  it('stores an ingested event as source api with the key that sent it, whatever its action or actor claim', async () => {
    const forged = await call(t.url, 'POST', '/v1/events', { key: acme.key, body: event({ action: 'api_key.revoked', actor: { type: 'system', id: 'retention', name: 'Retention' }, occurred_at: new Date(Date.now() - 9 * 365 * 86_400_000).toISOString() }) });
    expect(forged.status).toBe(202);
    expect((await get(forged.body.ids[0])).body).toMatchObject({ action: 'api_key.revoked', actor_type: 'system', source: 'api', api_key_id: keyId });
  });

  it('refuses a body that names its own source or key', async () => {
    for (const extra of [{ source: 'platform' }, { api_key_id: keyId }]) {
      const res = await call(t.url, 'POST', '/v1/events', { key: acme.key, body: event(extra) });
      expect(res.status).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ path: Object.keys(extra)[0], message: 'is not a known field' });
    }
  });

  it('writes the platform’s own records as source platform, naming the key that performed the administration', async () => {
    const bySession = await call(t.url, 'POST', '/v1/workspaces', { session: acme.owner, body: { name: 'By session' } });
    const byKey = await call(t.url, 'POST', '/v1/workspaces', { key: acme.key, body: { name: 'By key' } });
    const log = (await call(t.url, 'GET', '/v1/events?action=workspace.created&source=platform', { key: acme.key })).body.entries;
    expect(log.find((e: { target_id: string }) => e.target_id === bySession.body.id)).toMatchObject({ source: 'platform', api_key_id: null, actor_type: 'user' });
    expect(log.find((e: { target_id: string }) => e.target_id === byKey.body.id)).toMatchObject({ source: 'platform', api_key_id: keyId, actor_type: 'api_key' });
  });

  it('filters by source and by key, and refuses an unknown source', async () => {
    const api = (await call(t.url, 'GET', '/v1/events?source=api&limit=500', { key: acme.key })).body.entries;
    const platform = (await call(t.url, 'GET', '/v1/events?source=platform&limit=500', { key: acme.key })).body.entries;
    expect(api.length).toBeGreaterThan(0);
    expect(platform.length).toBeGreaterThan(0);
    expect(api.every((e: { source: string }) => e.source === 'api')).toBe(true);
    expect(platform.every((e: { source: string }) => e.source === 'platform')).toBe(true);
    const byKey = (await call(t.url, 'GET', `/v1/events?api_key_id=${keyId}&limit=500`, { key: acme.key })).body.entries;
    expect(byKey.every((e: { api_key_id: string }) => e.api_key_id === keyId)).toBe(true);
    expect((await call(t.url, 'GET', '/v1/events?source=tenant', { key: acme.key })).status).toBe(400);
    expect((await call(t.url, 'GET', '/v1/events?api_key_id=nope', { key: acme.key })).status).toBe(400);
  });
});

describe('key activity', () => {
  it('lists everything one key did across every log, newest first, and keeps a revoked key’s history', async () => {
    const k = await call(t.url, 'POST', '/v1/api-keys', { session: acme.owner, body: { name: 'Deployer', scopes: ['events:write', 'admin'] } });
    const ws = (await call(t.url, 'POST', '/v1/workspaces', { key: k.body.key, body: { name: 'Made by deployer' } })).body.id;
    await call(t.url, 'POST', '/v1/events', { key: k.body.key, body: { events: [event({ action: 'deploy.started' }), event({ action: 'deploy.finished', workspace_id: ws })] } });
    await call(t.url, 'POST', '/v1/events', { key: acme.key, body: event({ action: 'not.this.key' }) });
    const activity = async () => (await call(t.url, 'GET', `/v1/api-keys/${k.body.id}/activity`, { key: acme.key })).body;
    const a = await activity();
    expect(a.entries.map((e: { action: string }) => e.action)).toEqual(['deploy.finished', 'deploy.started', 'workspace.created']);
    expect(a.entries.map((e: { source: string }) => e.source)).toEqual(['api', 'api', 'platform']);
    expect(a.entries[0]).toMatchObject({ scope: 'workspace', workspace_id: ws });
    // Filters and paging work as in the event query.
    const page = (await call(t.url, 'GET', `/v1/api-keys/${k.body.id}/activity?limit=1&source=api`, { key: acme.key })).body;
    expect(page.entries.map((e: { action: string }) => e.action)).toEqual(['deploy.finished']);
    const next = (await call(t.url, 'GET', `/v1/api-keys/${k.body.id}/activity?limit=1&source=api&cursor=${page.next_cursor}`, { key: acme.key })).body;
    expect(next.entries.map((e: { action: string }) => e.action)).toEqual(['deploy.started']);
    // Revoked: still listed with include=revoked, and its history stays readable.
    expect((await call(t.url, 'DELETE', `/v1/api-keys/${k.body.id}`, { session: acme.owner })).status).toBe(204);
    const keys = (await call(t.url, 'GET', '/v1/api-keys?include=revoked', { key: acme.key })).body.data;
    expect(keys.find((x: { id: string }) => x.id === k.body.id)).toMatchObject({ revoked_at: expect.any(String) });
    expect((await call(t.url, 'GET', '/v1/api-keys', { key: acme.key })).body.data.some((x: { id: string }) => x.id === k.body.id)).toBe(false);
    expect((await activity()).entries.map((e: { action: string }) => e.action)).toEqual(['deploy.finished', 'deploy.started', 'workspace.created']);
  });

  it('is 404 for another account’s key and for a made-up one, 403 without admin', async () => {
    expect((await call(t.url, 'GET', `/v1/api-keys/${keyId}/activity`, { key: globex.key })).status).toBe(404);
    expect((await call(t.url, 'GET', '/v1/api-keys/0190c0de-0000-7000-8000-000000000000/activity', { key: acme.key })).status).toBe(404);
    const reader = (await call(t.url, 'POST', '/v1/api-keys', { session: acme.owner, body: { name: 'reader', scopes: ['events:read'] } })).body.key;
    expect((await call(t.url, 'GET', `/v1/api-keys/${keyId}/activity`, { key: reader })).status).toBe(403);
    expect((await call(t.url, 'GET', '/v1/api-keys?include=everything', { key: acme.key })).status).toBe(400);
  });
});
