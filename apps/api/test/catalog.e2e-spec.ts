import { call, createTenant, event, ownerClient, setPlan, startApp, type Tenant, type TestApp } from './harness';

let t: TestApp;
let acme: Tenant;
let globex: Tenant;

beforeAll(async () => {
  t = await startApp();
  acme = await createTenant(t, 'premium', 'Acme');
  globex = await createTenant(t, 'premium', 'Globex');
});
afterAll(() => t.close());

const put = (tenant: Tenant, action: string, body: unknown, key = tenant.key) => call(t.url, 'PUT', `/v1/catalog/actions/${action}`, { key, body });
const planSchema = {
  type: 'object',
  required: ['plan'],
  properties: { plan: { enum: ['free', 'pro', 'enterprise'] }, seats: { type: 'integer', minimum: 1 } },
  additionalProperties: false,
};

async function count(accountId: string, action: string): Promise<number> {
  const c = await ownerClient();
  try {
    return (await c.query('SELECT count(*)::int AS n FROM audit_events WHERE account_id = $1 AND action = $2', [accountId, action])).rows[0].n;
  } finally {
    await c.end();
  }
}

describe('a tenant’s own actions', () => {
  it('registers (201), reads back, replaces (200, next version), and audits each change with before and after', async () => {
    const created = await put(acme, 'subscription.changed', { category: 'billing', description: 'A customer changed plan.', metadata_schema: planSchema });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ action: 'subscription.changed', category: 'billing', version: 1, metadata_schema: planSchema });
    expect((await call(t.url, 'GET', '/v1/catalog/actions/subscription.changed', { key: acme.key })).body).toMatchObject({ version: 1, description: 'A customer changed plan.' });
    const replaced = await put(acme, 'subscription.changed', { category: 'revenue', metadata_schema: planSchema });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ category: 'revenue', version: 2, description: null });
    const log = await call(t.url, 'GET', '/v1/events?category=settings', { key: acme.key });
    const [updated, registered] = log.body.entries.filter((e: { action: string }) => e.action.startsWith('catalog.'));
    expect(registered).toMatchObject({ action: 'catalog.action_registered', target_id: 'subscription.changed', actor_type: 'api_key', changes: { before: null, after: { category: 'billing' } } });
    expect(updated).toMatchObject({ action: 'catalog.action_updated', changes: { before: { category: 'billing' }, after: { category: 'revenue', description: null } }, metadata: { version: 2 } });
  });

  it('checks ingested metadata against the schema: the whole batch is refused with the path, nothing stored', async () => {
    await put(acme, 'seat.assigned', { category: 'billing', metadata_schema: planSchema });
    const before = await count(acme.accountId, 'seat.assigned');
    const events = [event({ action: 'seat.assigned', metadata: { plan: 'pro' } }), event({ action: 'seat.assigned', metadata: { plan: 'pro', seats: 3 } }), event({ action: 'seat.assigned', metadata: { plan: 'gold' } }), event({ action: 'seat.assigned', metadata: { seats: 0, extra: true } })];
    const res = await call(t.url, 'POST', '/v1/events', { key: acme.key, body: { events } });
    expect(res.status).toBe(422);
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['events[2].metadata.plan', 'events[3].metadata.plan', 'events[3].metadata.seats', 'events[3].metadata.extra']));
    expect(paths.some((p: string) => p.startsWith('events[0]') || p.startsWith('events[1]'))).toBe(false);
    expect(await count(acme.accountId, 'seat.assigned')).toBe(before);
    const single = await call(t.url, 'POST', '/v1/events', { key: acme.key, body: event({ action: 'seat.assigned' }) });
    expect(single.status).toBe(422);
    expect(single.body.errors[0]).toMatchObject({ path: 'metadata.plan', message: expect.stringMatching(/required/) });
    // Accepted as written, under the registered category.
    const ok = await call(t.url, 'POST', '/v1/events', { key: acme.key, body: { events: events.slice(0, 2) } });
    expect(ok.status).toBe(202);
    expect((await call(t.url, 'GET', `/v1/events/${ok.body.ids[0]}`, { key: acme.key })).body).toMatchObject({ category: 'billing', metadata: { plan: 'pro' } });
    // Another tenant's ingest of the same action is not checked against this schema.
    expect((await call(t.url, 'POST', '/v1/events', { key: globex.key, body: event({ action: 'seat.assigned', metadata: { anything: 1 } }) })).status).toBe(202);
  });

  it('lists own actions and categories in the catalog, with counts', async () => {
    const res = await call(t.url, 'GET', '/v1/catalog', { key: acme.key });
    const billing = res.body.categories.find((c: { id: string }) => c.id === 'billing');
    expect(billing.actions.find((a: { action: string }) => a.action === 'seat.assigned')).toMatchObject({ registered: true, has_schema: true, count: 2 });
    const own = res.body.categories.find((c: { id: string }) => c.id === 'revenue');
    expect(own).toMatchObject({ name: 'revenue', description: 'A category of your own.', count: 0 });
    expect(own.actions).toEqual([expect.objectContaining({ action: 'subscription.changed', registered: true, has_schema: true })]);
  });

  it('refuses what cannot be registered: a bad schema, a regular expression, a platform action, a bad name', async () => {
    const bad = await put(acme, 'thing.done', { category: 'custom', metadata_schema: { type: 'wat' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ path: 'metadata_schema', message: expect.stringMatching(/not a valid JSON Schema/) });
    const regex = await put(acme, 'thing.done', { category: 'custom', metadata_schema: { properties: { a: { type: 'string', pattern: '(a+)+$' } } } });
    expect(regex.status).toBe(422);
    expect(regex.body.errors[0].message).toMatch(/pattern/);
    expect((await put(acme, 'api_key.revoked', { category: 'custom' })).status).toBe(409);
    expect((await put(acme, 'NotAnAction', { category: 'custom' })).status).toBe(422);
    expect((await put(acme, 'thing.done', { category: 'Not A Category' })).status).toBe(422);
    expect((await call(t.url, 'GET', '/v1/catalog/actions/thing.done', { key: acme.key })).status).toBe(404);
  });

  it('needs the admin scope to change the catalog', async () => {
    const reader = (await call(t.url, 'POST', '/v1/api-keys', { key: acme.key, body: { name: 'reader', scopes: ['events:read', 'events:write'] } })).body.key;
    expect((await put(acme, 'thing.done', { category: 'custom' }, reader)).status).toBe(403);
    expect((await call(t.url, 'DELETE', '/v1/catalog/actions/seat.assigned', { key: reader })).status).toBe(403);
    expect((await call(t.url, 'GET', '/v1/catalog/actions/seat.assigned', { key: reader })).status).toBe(200);
  });

  it('another tenant gets 404 for our registrations and cannot remove them', async () => {
    expect((await call(t.url, 'GET', '/v1/catalog/actions/seat.assigned', { key: globex.key })).status).toBe(404);
    expect((await call(t.url, 'DELETE', '/v1/catalog/actions/seat.assigned', { key: globex.key })).status).toBe(404);
    expect((await call(t.url, 'GET', '/v1/catalog/actions/seat.assigned', { key: acme.key })).status).toBe(200);
  });

  it('removes a registration (audited); ingest then takes any metadata again', async () => {
    expect((await call(t.url, 'DELETE', '/v1/catalog/actions/seat.assigned', { key: acme.key })).status).toBe(204);
    expect((await call(t.url, 'GET', '/v1/catalog/actions/seat.assigned', { key: acme.key })).status).toBe(404);
    expect((await call(t.url, 'POST', '/v1/events', { key: acme.key, body: event({ action: 'seat.assigned', metadata: { plan: 'gold' } }) })).status).toBe(202);
    const log = await call(t.url, 'GET', '/v1/events?action=catalog.action_removed', { key: acme.key });
    expect(log.body.entries[0]).toMatchObject({ target_id: 'seat.assigned', changes: { before: { category: 'billing' }, after: null } });
  });

  it('is hidden like an unknown route without the audit log', async () => {
    const free = await createTenant(t, 'premium', 'Soon free');
    await setPlan(t, free.accountId, 'free');
    for (const [method, path] of [['GET', '/v1/catalog/actions/a.b'], ['PUT', '/v1/catalog/actions/a.b'], ['DELETE', '/v1/catalog/actions/a.b']] as const) {
      const res = await call(t.url, method, path, { key: free.key, body: method === 'PUT' ? { category: 'x' } : undefined });
      expect([method, res.status]).toEqual([method, 404]);
    }
  });
});
