import { createServer, type Server } from 'node:http';
import Stripe from 'stripe';
import { call, createTenant, ownerClient, startApp, type Tenant, type TestApp } from './harness';

/** A stand-in for api.stripe.com on 127.0.0.1 that records what the API sent. */
interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  form: URLSearchParams;
}
let fake: Server;
let fakePort = 0;
const recorded: Recorded[] = [];

const WEBHOOK_SECRET = 'whsec_test_0123456789abcdef';
const signer = new Stripe('sk_test_signer');
let t: TestApp;
let tenant: Tenant;
let seq = 0;
/** Stripe ids unique to this run, so runs against the same database never collide. */
const run = Math.random().toString(36).slice(2, 8);
const cus = (name: string) => `cus_${name}_${run}`;

beforeAll(async () => {
  fake = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      recorded.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, form: new URLSearchParams(body) });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && url.pathname === '/v1/prices') {
        const key = url.searchParams.get('lookup_keys[0]') ?? '';
        const data = key.startsWith('premium') || key.startsWith('essentials') ? [{ id: `price_${key}`, object: 'price', lookup_key: key, active: true }] : [];
        return res.end(JSON.stringify({ object: 'list', data, has_more: false, url: '/v1/prices' }));
      }
      if (req.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
        return res.end(JSON.stringify({ id: 'cs_test_1', object: 'checkout.session', url: 'https://checkout.stripe.test/c/cs_test_1' }));
      }
      if (req.method === 'POST' && url.pathname === '/v1/billing_portal/sessions') {
        return res.end(JSON.stringify({ id: 'bps_1', object: 'billing_portal.session', url: 'https://billing.stripe.test/p/bps_1' }));
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { message: 'not faked', type: 'invalid_request_error' } }));
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  fakePort = (fake.address() as { port: number }).port;
  t = await startApp({
    BILLING_MODE: 'stripe',
    STRIPE_SECRET_KEY: 'sk_test_fake',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_HOST: '127.0.0.1',
    STRIPE_API_PORT: String(fakePort),
    STRIPE_API_PROTOCOL: 'http',
    PUBLIC_URL: 'https://audit.example.test',
  });
  tenant = await createTenant(t, 'free', 'Stripe Co');
});
afterAll(async () => {
  await t.close();
  await new Promise((r) => fake.close(r));
});

function subscription(opts: { status?: string; lookupKey?: string; customer?: string; accountId?: string | null }) {
  return {
    id: 'sub_123',
    object: 'subscription',
    status: opts.status ?? 'active',
    customer: opts.customer ?? cus('123'),
    metadata: opts.accountId === null ? {} : { account_id: opts.accountId ?? tenant.accountId },
    items: { object: 'list', data: [{ id: 'si_1', object: 'subscription_item', price: { id: 'price_x', object: 'price', lookup_key: opts.lookupKey ?? 'premium_monthly' } }] },
  };
}

function stripeEvent(type: string, object: unknown, createdOffsetSec = 0, id?: string) {
  seq += 1;
  return { id: id ?? `evt_${Date.now()}_${seq}`, object: 'event', type, created: Math.floor(Date.now() / 1000) + createdOffsetSec + seq, data: { object }, livemode: false, api_version: '2025-01-01' };
}

async function deliver(event: unknown, opts: { secret?: string; timestamp?: number; tamper?: boolean } = {}) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? WEBHOOK_SECRET, timestamp: opts.timestamp });
  return call(t.url, 'POST', '/v1/billing/webhooks/stripe', {
    raw: opts.tamper ? payload.replace('premium', 'enterprise') : payload,
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
  });
}

const plan = async () => (await call(t.url, 'GET', '/v1/account', { session: tenant.owner })).body.plan;

describe('checkout and portal (against a fake Stripe on 127.0.0.1)', () => {
  it('creates a Checkout Session for the plan with the account on it', async () => {
    recorded.length = 0;
    const res = await call(t.url, 'POST', '/v1/billing/checkout', { session: tenant.owner, body: { plan: 'premium' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ url: 'https://checkout.stripe.test/c/cs_test_1' });
    const prices = recorded.find((r) => r.path === '/v1/prices');
    expect(prices?.query.get('lookup_keys[0]')).toBe('premium_monthly');
    const session = recorded.find((r) => r.path === '/v1/checkout/sessions');
    expect(session?.form.get('mode')).toBe('subscription');
    expect(session?.form.get('client_reference_id')).toBe(tenant.accountId);
    expect(session?.form.get('subscription_data[metadata][account_id]')).toBe(tenant.accountId);
    expect(session?.form.get('line_items[0][price]')).toBe('price_premium_monthly');
    expect(session?.form.get('customer_email')).toBe(tenant.email);
    expect(session?.form.get('success_url')).toBe('https://audit.example.test/billing?checkout=success');
  });

  it('refuses free, unknown plans and members without admin rights', async () => {
    expect((await call(t.url, 'POST', '/v1/billing/checkout', { session: tenant.owner, body: { plan: 'free' } })).status).toBe(422);
    expect((await call(t.url, 'POST', '/v1/billing/checkout', { session: tenant.owner, body: { plan: 'gold' } })).status).toBe(422);
    expect((await call(t.url, 'POST', '/v1/billing/checkout', { body: { plan: 'premium' } })).status).toBe(401);
  });

  it('opens the portal only once the account has a Stripe customer', async () => {
    const fresh = await createTenant(t, 'free', 'No customer');
    expect((await call(t.url, 'POST', '/v1/billing/portal', { session: fresh.owner })).status).toBe(409);
    await deliver(stripeEvent('checkout.session.completed', { id: 'cs_1', object: 'checkout.session', client_reference_id: fresh.accountId, customer: cus('portal'), subscription: 'sub_portal', metadata: {} }));
    recorded.length = 0;
    const res = await call(t.url, 'POST', '/v1/billing/portal', { session: fresh.owner });
    expect(res.status).toBe(200);
    expect(res.body.url).toBe('https://billing.stripe.test/p/bps_1');
    expect(recorded[0].form.get('customer')).toBe(cus('portal'));
  });
});

describe('webhooks', () => {
  it('follows the subscription through its whole life', async () => {
    expect(await plan()).toBe('free');
    expect((await deliver(stripeEvent('checkout.session.completed', { id: 'cs_2', object: 'checkout.session', client_reference_id: tenant.accountId, customer: cus('123'), subscription: 'sub_123', metadata: {} }))).status).toBe(200);
    expect(await plan()).toBe('free');

    expect((await deliver(stripeEvent('customer.subscription.created', subscription({ lookupKey: 'premium_monthly' })))).body.outcome).toBe('applied');
    expect(await plan()).toBe('premium');
    // Once licensed, the events routes exist for this account.
    expect((await call(t.url, 'GET', '/v1/events', { key: tenant.key })).status).toBe(200);

    await deliver(stripeEvent('customer.subscription.updated', subscription({ lookupKey: 'essentials_yearly' })));
    expect(await plan()).toBe('essentials');
    const c = await ownerClient();
    const { rows } = await c.query('SELECT previous_retention_days, retention_grace_until FROM accounts WHERE id = $1', [tenant.accountId]);
    await c.end();
    expect(rows[0].previous_retention_days).toBe(730);
    expect(rows[0].retention_grace_until.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    // Stripe is retrying: the plan stays.
    await deliver(stripeEvent('customer.subscription.updated', subscription({ status: 'past_due', lookupKey: 'essentials_yearly' })));
    expect(await plan()).toBe('essentials');
    const failed = await deliver(stripeEvent('invoice.payment_failed', { id: 'in_1', object: 'invoice', customer: cus('123'), amount_due: 4900, currency: 'eur', attempt_count: 2, metadata: {} }));
    expect(failed.status).toBe(200);
    expect(await plan()).toBe('essentials');
    expect((await deliver(stripeEvent('invoice.paid', { id: 'in_2', object: 'invoice', customer: cus('123'), metadata: {} }))).status).toBe(200);

    await deliver(stripeEvent('customer.subscription.updated', subscription({ status: 'unpaid', lookupKey: 'essentials_yearly' })));
    expect(await plan()).toBe('free');
    expect((await call(t.url, 'GET', '/v1/events', { key: tenant.key })).status).toBe(404);

    await deliver(stripeEvent('customer.subscription.updated', subscription({ lookupKey: 'enterprise_monthly' })));
    expect(await plan()).toBe('enterprise');
    await deliver(stripeEvent('customer.subscription.deleted', subscription({ status: 'canceled', lookupKey: 'enterprise_monthly' })));
    expect(await plan()).toBe('free');

    // Every change is in the account log, by the system, with before and after.
    await deliver(stripeEvent('customer.subscription.created', subscription({ lookupKey: 'premium_monthly' })));
    const log = await call(t.url, 'GET', '/v1/events?action=plan.changed&action=billing.payment_failed&limit=50', { key: tenant.key });
    const changes = log.body.entries.filter((e: { action: string }) => e.action === 'plan.changed').map((e: { changes: { before: { plan: string }; after: { plan: string } } }) => `${e.changes.before.plan}>${e.changes.after.plan}`);
    expect(changes).toEqual(['free>premium', 'enterprise>free', 'free>enterprise', 'essentials>free', 'premium>essentials', 'free>premium']);
    expect(log.body.entries.every((e: { actor_type: string }) => e.actor_type === 'system')).toBe(true);
    expect(log.body.entries.find((e: { action: string }) => e.action === 'billing.payment_failed')).toMatchObject({ outcome: 'failure', actor_id: 'stripe' });
  });

  it('finds the account by Stripe customer when the subscription has no metadata', async () => {
    const other = await createTenant(t, 'free', 'By customer');
    await deliver(stripeEvent('checkout.session.completed', { id: 'cs_3', object: 'checkout.session', client_reference_id: other.accountId, customer: cus('other'), subscription: 'sub_o', metadata: {} }));
    await deliver(stripeEvent('customer.subscription.created', { ...subscription({ customer: cus('other'), accountId: null, lookupKey: 'premium_monthly' }), id: 'sub_o' }));
    expect((await call(t.url, 'GET', '/v1/account', { session: other.owner })).body.plan).toBe('premium');
  });

  it('processes each event once: a replay changes nothing', async () => {
    const other = await createTenant(t, 'free', 'Replay');
    const sub = (key: string) => ({ ...subscription({ customer: cus('replay'), accountId: other.accountId, lookupKey: key }), id: 'sub_r' });
    const first = stripeEvent('customer.subscription.created', sub('premium_monthly'), 0, `evt_replay_${other.accountId}`);
    expect((await deliver(first)).body.duplicate).toBe(false);
    await deliver(stripeEvent('customer.subscription.updated', sub('essentials_monthly')));
    const again = await deliver(first);
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect((await call(t.url, 'GET', '/v1/account', { session: other.owner })).body.plan).toBe('essentials');
  });

  it('never lets an older event overwrite a newer state', async () => {
    const other = await createTenant(t, 'free', 'Order');
    const sub = (key: string) => ({ ...subscription({ customer: cus('order'), accountId: other.accountId, lookupKey: key }), id: 'sub_ord' });
    await deliver(stripeEvent('customer.subscription.updated', sub('enterprise_monthly'), 100));
    const stale = await deliver(stripeEvent('customer.subscription.updated', sub('essentials_monthly'), -100));
    expect(stale.status).toBe(200);
    expect(stale.body.outcome).toMatch(/^stale/);
    expect((await call(t.url, 'GET', '/v1/account', { session: other.owner })).body.plan).toBe('enterprise');
  });

  it('refuses a bad, tampered or stale signature with 400 and changes nothing', async () => {
    const other = await createTenant(t, 'free', 'Signatures');
    const ev = () => stripeEvent('customer.subscription.created', { ...subscription({ customer: cus('sig'), accountId: other.accountId }), id: 'sub_sig' });
    expect((await deliver(ev(), { secret: 'whsec_wrong' })).status).toBe(400);
    expect((await deliver(ev(), { tamper: true })).status).toBe(400);
    expect((await deliver(ev(), { timestamp: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(400);
    const none = await call(t.url, 'POST', '/v1/billing/webhooks/stripe', { body: ev() });
    expect(none.status).toBe(400);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    expect((await call(t.url, 'GET', '/v1/account', { session: other.owner })).body.plan).toBe('free');
  });

  it('answers 200 and ignores unknown customers, unknown prices and other event types', async () => {
    const other = await createTenant(t, 'free', 'Unknowns');
    const unknownCustomer = await deliver(stripeEvent('customer.subscription.created', { ...subscription({ customer: cus('nobody'), accountId: null }), id: 'sub_x' }));
    expect(unknownCustomer.status).toBe(200);
    expect(unknownCustomer.body.outcome).toMatch(/unknown account/);
    const unknownPrice = await deliver(stripeEvent('customer.subscription.created', { ...subscription({ customer: cus('u'), accountId: other.accountId, lookupKey: 'gold_monthly' }), id: 'sub_u' }));
    expect(unknownPrice.status).toBe(200);
    expect(unknownPrice.body.outcome).toMatch(/^ignore/);
    expect((await call(t.url, 'GET', '/v1/account', { session: other.owner })).body.plan).toBe('free');
    expect((await deliver(stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge' }))).status).toBe(200);
  });

  it('takes the plan from an entitlement summary', async () => {
    const other = await createTenant(t, 'free', 'Entitlements');
    await deliver(stripeEvent('checkout.session.completed', { id: 'cs_e', object: 'checkout.session', client_reference_id: other.accountId, customer: cus('ent'), subscription: 'sub_e', metadata: {} }));
    await deliver(stripeEvent('entitlements.active_entitlement_summary.updated', { object: 'entitlements.active_entitlement_summary', customer: cus('ent'), entitlements: { object: 'list', data: [{ id: 'ent_1', object: 'entitlements.active_entitlement', lookup_key: 'premium-features', feature: 'feat_1' }] } }));
    expect((await call(t.url, 'GET', '/v1/account', { session: other.owner })).body.plan).toBe('premium');
  });
});

describe('static mode', () => {
  it('has no billing routes at all', async () => {
    const s = await startApp({ BILLING_MODE: 'static' });
    try {
      const other = await createTenant(s, 'free');
      const unknown = await call(s.url, 'POST', '/v1/billing/unknown', { session: other.owner, body: {} });
      for (const path of ['/v1/billing/checkout', '/v1/billing/portal', '/v1/billing/webhooks/stripe']) {
        const res = await call(s.url, 'POST', path, { session: other.owner, body: { plan: 'premium' } });
        expect(res.status).toBe(404);
        expect(res.body.title).toBe(unknown.body.title);
      }
    } finally {
      await s.close();
    }
  });
});
