#!/usr/bin/env node
// Seed the demo tenant through the running API, idempotently, and print its
// login and an ingest API key. The key's plaintext is kept in
// .data/demo-credentials.json (mode 600) so a restart can show it again.
//
// The demo looks like an account in use: three workspaces beside the account
// log, members in every role and a pending invitation, about 3,000 events
// over the last 60 days with a working-week rhythm (people, API keys and the
// system; failures, changes with before/after, sign-ins from several
// addresses), a revoked key, a finished export, an active legal hold and,
// when DEMO_RECEIVER_URL names a receiver (npm start runs one on loopback),
// a webhook destination with its delivery history.
// Everything is generated from a fixed seed, and events carry idempotency
// keys, so running it again adds no demo data (its own sign-in is recorded,
// as every sign-in is).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from './lib/env.mjs';

// Read when seed() runs, so a caller (npm start) can set them first.
const base = () => process.env.API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const DEMO = { account_name: 'Demo Company', email: process.env.DEMO_EMAIL ?? 'demo@audit-trail.local', password: process.env.DEMO_PASSWORD ?? 'demo-password-123' };
/** Bumped when the demo gains content: an older demo account is topped up once. */
const DEMO_VERSION = 3;
/** Where the demo's members get their addresses (a test seeds with its own, to stay apart from other runs). */
const PEOPLE_DOMAIN = process.env.DEMO_PEOPLE_DOMAIN ?? 'demo.test';
export const DEMO_DESTINATION = 'Security SIEM (demo receiver)';

async function call(method, path, { body, cookie, csrf, key } = {}) {
  const headers = {};
  if (body) headers['content-type'] = 'application/json';
  if (cookie) headers.cookie = cookie;
  if (csrf) headers['x-csrf-token'] = csrf;
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(base() + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, cookies: res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
}

const must = (r, what, ok = [200, 201, 202, 204]) => {
  if (!ok.includes(r.status)) throw new Error(`demo ${what} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
};

export async function seed() {
  const operator = process.env.OPERATOR_TOKEN;
  const dataDir = process.env.DEMO_DATA_DIR ?? DATA;
  mkdirSync(dataDir, { recursive: true });
  const credsFile = join(dataDir, 'demo-credentials.json');
  const saved = existsSync(credsFile) ? JSON.parse(readFileSync(credsFile, 'utf8')) : null;
  // A first run signs up (no failed sign-in in the log before the banner); later runs sign in.
  let created = false;
  let auth;
  if (saved?.email === DEMO.email) auth = await call('POST', '/v1/auth/login', { body: { email: DEMO.email, password: DEMO.password } });
  if (!auth || auth.status === 401) {
    auth = await call('POST', '/v1/signup', { body: DEMO });
    if (auth.status === 201) created = true;
    else if (auth.status === 409) auth = await call('POST', '/v1/auth/login', { body: { email: DEMO.email, password: DEMO.password } });
  }
  must(auth, 'sign-in', [200, 201]);
  const session = { cookie: auth.cookies, csrf: auth.body.csrf_token };
  const accountId = auth.body.account_id;
  let account = await call('GET', '/v1/account', session);
  if (!account.body.entitlements.legal_hold && operator) {
    must(await call('PUT', `/v1/operator/accounts/${accountId}/plan`, { body: { plan: 'enterprise', reason: 'demo tenant' }, key: operator }), 'plan');
    account = await call('GET', '/v1/account', session);
  }
  let key = null;
  if (saved?.account_id === accountId) {
    const probe = await call('GET', '/v1/account', { key: saved.key });
    if (probe.status === 200) key = saved.key;
  }
  if (!key) {
    const k = must(await call('POST', '/v1/api-keys', { ...session, body: { name: 'Demo ingest key', scopes: ['events:write', 'events:read', 'exports:write'] } }), 'key');
    key = k.body.key;
  }
  let version = saved?.account_id === accountId ? (saved.demo_version ?? 1) : 0;
  const save = () => writeFileSync(credsFile, JSON.stringify({ account_id: accountId, email: DEMO.email, key, demo_version: version }, null, 2), { mode: 0o600 });
  save();
  if (version < DEMO_VERSION && account.body.entitlements.audit_log) {
    await populate(session, key);
    version = DEMO_VERSION;
    save();
  }
  // The destination follows the receiver's address on every start (its port may change).
  if (process.env.DEMO_RECEIVER_URL && account.body.entitlements.audit_log) await demoDestination(session, process.env.DEMO_RECEIVER_URL);
  return { email: DEMO.email, password: DEMO.password, key, created };
}

/** A small deterministic generator (mulberry32): the same demo every time. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PEOPLE = [
  ['u_alice', 'Alice Martin', 'alice@demo.test', '203.0.113.10'],
  ['u_bob', 'Bob Chen', 'bob@demo.test', '198.51.100.7'],
  ['u_carol', 'Carol Diaz', 'carol@demo.test', '203.0.113.24'],
  ['u_dan', 'Dan Okafor', 'dan@demo.test', '192.0.2.41'],
  ['u_erin', 'Erin Walsh', 'erin@demo.test', '2001:db8::17'],
  ['u_farid', 'Farid Haddad', 'farid@demo.test', '198.51.100.88'],
  ['u_grace', 'Grace Kim', 'grace@demo.test', '203.0.113.77'],
  ['u_hugo', 'Hugo Lambert', 'hugo@demo.test', '192.0.2.12'],
  ['u_ines', 'Inès Moreau', 'ines@demo.test', '2001:db8:4::9'],
  ['u_jamal', 'Jamal Reed', 'jamal@demo.test', '198.51.100.140'],
  ['u_kenji', 'Kenji Sato', 'kenji@demo.test', '203.0.113.150'],
  ['u_lena', 'Lena Novak', 'lena@demo.test', '192.0.2.200'],
].map(([id, name, email, ip]) => ({ type: 'user', id, name, email, ip }));
const KEYS = [
  { type: 'api_key', id: 'key_ci_deploy', name: 'CI deploy key', ip: '192.0.2.250' },
  { type: 'api_key', id: 'key_billing_sync', name: 'Billing sync', ip: '198.51.100.250' },
];
const SYSTEM = { type: 'system', id: 'scheduler', name: 'Scheduler' };

/** What people, keys and the system do, with rough weights. */
const ACTIONS = [
  { w: 14, action: 'user.login', who: 'person', target: null },
  { w: 3, action: 'user.login', who: 'person', fail: 1, target: null },
  { w: 1, action: 'user.login', who: 'stranger', fail: 1, target: null },
  { w: 12, action: 'document.update', who: 'person', target: 'document', diff: 'title' },
  { w: 6, action: 'document.create', who: 'person', target: 'document' },
  { w: 2, action: 'document.delete', who: 'person', target: 'document' },
  { w: 3, action: 'document.share', who: 'person', target: 'document', meta: 'share' },
  { w: 2, action: 'project.create', who: 'person', target: 'project' },
  { w: 2, action: 'project.settings_updated', who: 'person', target: 'project', diff: 'visibility' },
  { w: 1, action: 'member.role_changed', who: 'person', target: 'user', diff: 'role' },
  { w: 6, action: 'deploy.completed', who: 'key', target: 'service', meta: 'deploy' },
  { w: 1, action: 'deploy.completed', who: 'key', target: 'service', meta: 'deploy', fail: 1 },
  { w: 4, action: 'invoice.paid', who: 'billing', target: 'invoice', meta: 'invoice' },
  { w: 1, action: 'invoice.payment_failed', who: 'billing', target: 'invoice', meta: 'invoice', fail: 1 },
  { w: 3, action: 'report.generated', who: 'system', target: 'report' },
  { w: 1, action: 'backup.completed', who: 'system', target: 'database' },
];
const TOTAL_W = ACTIONS.reduce((s, a) => s + a.w, 0);

function makeEvents(workspaceIds, count = 3000) {
  const rnd = random(20261202);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const now = Date.now();
  const from = now - 60 * 86_400_000;
  const events = [];
  const docNames = ['Q3 roadmap', 'Pricing page copy', 'Security policy', 'Onboarding guide', 'Incident 2026-11 review', 'Vendor list', 'Board deck', 'API changelog'];
  const projects = ['Newsletter', 'Mobile app', 'Data platform', 'Website'];
  const services = ['api', 'web', 'worker', 'billing'];
  let i = 0;
  while (events.length < count) {
    i++;
    // A time in the last 60 days: weekends and nights are quiet.
    const t = from + rnd() * (now - from);
    const d = new Date(t);
    const day = d.getUTCDay();
    const hour = d.getUTCHours();
    const weight = (day === 0 || day === 6 ? 0.15 : 1) * (hour >= 8 && hour < 19 ? 1 : 0.12);
    if (rnd() > weight) continue;
    let r = rnd() * TOTAL_W;
    const a = ACTIONS.find((x) => (r -= x.w) < 0) ?? ACTIONS[0];
    const person = pick(PEOPLE);
    const actor =
      a.who === 'person' ? { type: 'user', id: person.id, name: person.name, email: person.email }
      : a.who === 'stranger' ? { type: 'user', id: 'u_unknown', email: pick(['admin@demo.test', 'root@demo.test', 'test@demo.test']) }
      : a.who === 'key' ? { type: 'api_key', id: KEYS[0].id, name: KEYS[0].name }
      : a.who === 'billing' ? { type: 'api_key', id: KEYS[1].id, name: KEYS[1].name }
      : SYSTEM;
    const ip = a.who === 'person' ? person.ip : a.who === 'stranger' ? pick(['185.220.101.4', '45.155.205.33', '2001:db8:bad::1']) : a.who === 'key' ? KEYS[0].ip : a.who === 'billing' ? KEYS[1].ip : undefined;
    const n = Math.floor(rnd() * 1000);
    const target =
      a.target === 'document' ? { type: 'document', id: `doc_${(n % 40) + 1}`, name: docNames[n % docNames.length] }
      : a.target === 'project' ? { type: 'project', id: `prj_${(n % 4) + 1}`, name: projects[n % 4] }
      : a.target === 'service' ? { type: 'service', id: services[n % 4], name: services[n % 4] }
      : a.target === 'invoice' ? { type: 'invoice', id: `in_${100000 + n}`, name: `Invoice ${100000 + n}` }
      : a.target === 'user' ? { type: 'user', id: pick(PEOPLE).id, name: pick(PEOPLE).name }
      : a.target === 'report' ? { type: 'report', id: 'weekly-usage', name: 'Weekly usage' }
      : a.target === 'database' ? { type: 'database', id: 'primary', name: 'primary' }
      : undefined;
    const changes =
      a.diff === 'title' ? { before: { title: `${target.name} (draft)` }, after: { title: target.name } }
      : a.diff === 'visibility' ? { before: { visibility: 'private' }, after: { visibility: 'internal' } }
      : a.diff === 'role' ? { before: { role: 'member' }, after: { role: pick(['admin', 'member']) } }
      : undefined;
    const metadata =
      a.meta === 'share' ? { shared_with: pick(PEOPLE).email, permission: pick(['view', 'edit']) }
      : a.meta === 'deploy' ? { version: `v1.${Math.floor(i / 50)}.${n % 10}`, environment: pick(['production', 'staging']), duration_s: 40 + (n % 200) }
      : a.meta === 'invoice' ? { amount: (n % 90) * 10 + 49, currency: 'USD' }
      : a.action === 'user.login' ? { method: pick(['password', 'password', 'sso']) }
      : undefined;
    // About 40 % in the account log, the rest spread over the workspaces.
    const w = rnd();
    const workspace_id = w < 0.4 ? undefined : workspaceIds[Math.floor(((w - 0.4) / 0.6) * workspaceIds.length)];
    events.push({
      action: a.action,
      occurred_at: d.toISOString(),
      actor,
      ...(target ? { target } : {}),
      ...(ip ? { context: { ip, user_agent: a.who === 'person' ? 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Safari/605.1.15' : 'demo-sync/2.3' } } : {}),
      ...(metadata ? { metadata } : {}),
      ...(changes ? { changes } : {}),
      ...(a.fail ? { outcome: 'failure' } : {}),
      ...(workspace_id ? { workspace_id } : {}),
      idempotency_key: `demo-v2-${events.length}`,
    });
  }
  return events.sort((x, y) => x.occurred_at.localeCompare(y.occurred_at));
}

async function populate(session, key) {
  // Workspaces: Production (made at sign-up), Staging and Billing.
  const have = must(await call('GET', '/v1/workspaces', session), 'workspaces').body.data;
  for (const name of ['Staging', 'Billing']) {
    if (!have.some((w) => w.name === name)) have.push(must(await call('POST', '/v1/workspaces', { ...session, body: { name } }), `workspace ${name}`).body);
  }
  const ws = Object.fromEntries(have.map((w) => [w.name, w.id]));

  // Members in each role, and one invitation left pending.
  const members = must(await call('GET', '/v1/members', session), 'members').body;
  const known = new Set([...members.data.map((m) => m.email), ...members.invitations.map((i) => i.email)]);
  const people = [
    { email: `grace@${PEOPLE_DOMAIN}`, name: 'Grace Kim', role: 'admin', workspace_ids: [] },
    { email: `hugo@${PEOPLE_DOMAIN}`, name: 'Hugo Lambert', role: 'member', workspace_ids: [ws.Staging] },
    { email: `ines@${PEOPLE_DOMAIN}`, name: 'Inès Moreau', role: 'member', workspace_ids: [] },
    { email: `newhire@${PEOPLE_DOMAIN}`, name: null, role: 'member', workspace_ids: [ws.Production], pending: true },
  ];
  for (const p of people) {
    if (known.has(p.email)) continue;
    const inv = must(await call('POST', '/v1/members/invitations', { ...session, body: { email: p.email, role: p.role, workspace_ids: p.workspace_ids } }), `invite ${p.email}`);
    if (!p.pending) must(await call('POST', `/v1/invitations/${encodeURIComponent(inv.body.token)}/accept`, { body: { name: p.name, password: DEMO.password } }), `accept ${p.email}`);
  }

  // A key that was rotated out, to show revoked keys and who revoked them.
  const keys = must(await call('GET', '/v1/api-keys?include=revoked', session), 'keys').body.data;
  if (!keys.some((k) => k.name === 'Old CI key')) {
    const old = must(await call('POST', '/v1/api-keys', { ...session, body: { name: 'Old CI key', scopes: ['events:write'] } }), 'old key');
    must(await call('DELETE', `/v1/api-keys/${old.body.id}`, session), 'revoke old key');
  }

  // Created before the events, so they flow to the receiver as they arrive.
  if (process.env.DEMO_RECEIVER_URL) await demoDestination(session, process.env.DEMO_RECEIVER_URL);

  // The events, in batches; idempotency keys make a second run a no-op.
  const events = makeEvents([ws.Production, ws.Staging, ws.Billing]);
  for (let i = 0; i < events.length; i += 500) must(await call('POST', '/v1/events', { key, body: { events: events.slice(i, i + 500) } }), 'events');

  // A finished export of the last 30 days.
  const exports = must(await call('GET', '/v1/exports', session), 'exports').body.data ?? [];
  if (!exports.some((e) => e.status === 'completed')) {
    const ex = must(await call('POST', '/v1/exports', { ...session, body: { format: 'csv', from: new Date(Date.now() - 30 * 86_400_000).toISOString() } }), 'export');
    for (let i = 0; i < 100; i++) {
      const s = (await call('GET', `/v1/exports/${ex.body.id}`, session)).body?.status;
      if (s === 'completed' || s === 'failed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  // An active legal hold on the Billing workspace.
  const holds = must(await call('GET', '/v1/legal-holds', session), 'legal holds').body.data;
  if (!holds.some((h) => !h.released_at)) {
    must(await call('POST', '/v1/legal-holds', { ...session, body: { scope: 'workspace', workspace_id: ws.Billing, reason: 'Invoice dispute with Northwind (ticket LEGAL-1042)' } }), 'legal hold');
  }
}

/** The demo's webhook destination at the local receiver: created once, pointed at `url`, with one test send. */
async function demoDestination(session, url) {
  const all = must(await call('GET', '/v1/destinations', session), 'destinations').body.data;
  const d = all.find((x) => x.name === DEMO_DESTINATION);
  if (!d) {
    const made = must(await call('POST', '/v1/destinations', { ...session, body: { type: 'webhook', name: DEMO_DESTINATION, url, secret: 'demo-webhook-signing-secret', format: 'native' } }), 'destination').body;
    must(await call('POST', `/v1/destinations/${made.id}/test`, session), 'destination test');
  } else if (d.url !== url || !d.enabled) {
    must(await call('PATCH', `/v1/destinations/${d.id}`, { ...session, body: { url, enabled: true } }), 'destination address');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await seed();
  console.log(JSON.stringify(r, null, 2));
}
