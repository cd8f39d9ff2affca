import type { Browser, Page } from 'playwright-core';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiUnderTest, call, login, ownerClient, type Session, sessionFrom, spawnApi, startWorker, stopChild, waitUntil } from '@audit-trail/testing';
import { launch, pageAt, SCREENSHOTS, VIEWPORTS } from './browser';

// The demo `npm start` seeds, run as it runs there: scripts/seed.mjs against
// a real api and worker, with the demo's own loopback receiver as the one
// private address forwarding may reach. Then the account as its owner sees
// it, at three sizes.
const ROOT = join(__dirname, '..', '..', '..');
// The receiver is a script of the repository (npm start loads it), not a library: loaded by path.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startDemoReceiver } = require(join(ROOT, 'scripts', 'lib', 'demo-receiver.cjs')) as {
  startDemoReceiver: (port?: number) => Promise<{ url: string; stats: () => { requests: number; events: number }; close: () => Promise<void> }>;
};
const run = randomUUID().slice(0, 8);
const DEMO_EMAIL = `demo-${run}@demo-seed.test`;
const DEMO_PASSWORD = 'demo-password-123';
let dir: string;
let t: ApiUnderTest;
let worker: ChildProcess;
let rx: Awaited<ReturnType<typeof startDemoReceiver>>;
let browser: Browser;
let owner: Session;
let accountId: string;
let seedKey: string;

/** scripts/seed.mjs as a child process; asynchronous, since the receiver answers from this process. */
function seed(): Promise<{ status: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'scripts/seed.mjs')], {
    env: { ...process.env, API_URL: t.url, DEMO_EMAIL, DEMO_PASSWORD, DEMO_DATA_DIR: dir, DEMO_PEOPLE_DOMAIN: `people-${run}.test`, DEMO_RECEIVER_URL: rx.url },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) => child.once('close', (status) => (clearTimeout(timer), resolve({ status, out, err }))));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'audit-demo-'));
  rx = await startDemoReceiver(0);
  const env = {
    WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist'),
    QUEUE_PREFIX: `test-demo-${run}`,
    EXPORT_DIR: join(dir, 'exports'),
    FORWARDING_ENABLED: 'true',
    FORWARDING_ALLOW_PRIVATE: 'false',
    FORWARDING_ALLOW_HOSTS: new URL(rx.url).host,
  };
  t = await spawnApi(env);
  worker = await startWorker(env);
  const first = await seed();
  if (first.status !== 0) throw new Error(`seed failed (${first.status}): ${first.err}`);
  const printed = JSON.parse(first.out) as { email: string; key: string; created: boolean };
  expect(printed).toMatchObject({ email: DEMO_EMAIL, created: true });
  seedKey = printed.key;
  const signIn = await login(t, DEMO_EMAIL, DEMO_PASSWORD);
  owner = sessionFrom(signIn);
  accountId = signIn.body.account_id;
  browser = await launch();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  if (worker) await stopChild(worker);
  await t?.close();
  await rx?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the seeded demo account', () => {
  it('has weeks of events with a working-week rhythm, across the account log and three workspaces, from people, keys and the system', async () => {
    const c = await ownerClient();
    try {
      const { rows } = await c.query(
        `SELECT count(*)::int AS n, count(DISTINCT workspace_id)::int AS workspaces, bool_or(workspace_id IS NULL) AS account_log,
                count(DISTINCT actor_id)::int AS actors, array_agg(DISTINCT actor_type) AS actor_types,
                count(*) FILTER (WHERE outcome = 'failure')::int AS failures, count(*) FILTER (WHERE changes IS NOT NULL)::int AS with_changes,
                count(DISTINCT ip) FILTER (WHERE action = 'user.login')::int AS login_ips,
                extract(day FROM max(occurred_at) - min(occurred_at))::int AS span_days,
                avg(n_day) FILTER (WHERE dow BETWEEN 1 AND 5) AS weekday, avg(n_day) FILTER (WHERE dow IN (0, 6)) AS weekend
           FROM audit_events e
           JOIN LATERAL (SELECT extract(isodow FROM e.occurred_at)::int % 7 AS dow) d ON true
           JOIN LATERAL (SELECT count(*) AS n_day FROM audit_events x WHERE x.account_id = e.account_id AND x.idempotency_key IS NOT NULL AND date_trunc('day', x.occurred_at) = date_trunc('day', e.occurred_at)) per ON true
          WHERE e.account_id = $1 AND e.idempotency_key IS NOT NULL`,
        [accountId],
      );
      const r = rows[0];
      expect(r.n).toBeGreaterThanOrEqual(2500);
      expect(r.span_days).toBeGreaterThanOrEqual(55);
      expect(r.workspaces).toBe(3);
      expect(r.account_log).toBe(true);
      expect(r.actors).toBeGreaterThanOrEqual(12);
      expect(r.actor_types).toEqual(expect.arrayContaining(['user', 'api_key', 'system']));
      expect(r.failures).toBeGreaterThan(0);
      expect(r.with_changes).toBeGreaterThan(0);
      expect(r.login_ips).toBeGreaterThanOrEqual(3);
      expect(Number(r.weekday)).toBeGreaterThan(2 * Number(r.weekend));
    } finally {
      await c.end();
    }
  });

  it('has members in each role, a pending invitation, a revoked key, a finished export and an active legal hold', async () => {
    const members = (await call(t.url, 'GET', '/v1/members', { session: owner })).body;
    const roles = members.data.map((m: { role: string; workspace_ids: string[] }) => (m.role === 'member' && m.workspace_ids.length > 0 ? 'workspace member' : m.role));
    expect(roles).toEqual(expect.arrayContaining(['owner', 'admin', 'member', 'workspace member']));
    expect(members.invitations).toHaveLength(1);
    const keys = (await call(t.url, 'GET', '/v1/api-keys?include=revoked', { session: owner })).body.data;
    expect(keys.some((k: { revoked_at: string | null }) => k.revoked_at)).toBe(true);
    const exports = (await call(t.url, 'GET', '/v1/exports', { session: owner })).body.data;
    expect(exports.some((e: { status: string; row_count: number }) => e.status === 'completed' && e.row_count > 0)).toBe(true);
    const holds = (await call(t.url, 'GET', '/v1/legal-holds', { session: owner })).body.data;
    expect(holds.some((h: { released_at: string | null }) => !h.released_at)).toBe(true);
  });

  it('forwards to the local receiver, with a delivery history that shows a test, a retried failure and deliveries', async () => {
    const dest = (await call(t.url, 'GET', '/v1/destinations', { session: owner })).body.data[0];
    expect(dest).toMatchObject({ name: 'Security SIEM (demo receiver)', url: rx.url, enabled: true, has_secret: true });
    type Delivery = { test: boolean; ok: boolean; status_code: number | null; event_count: number };
    let ledger: Delivery[] = [];
    await waitUntil(
      async () => {
        ledger = (await call(t.url, 'GET', `/v1/destinations/${dest.id}/deliveries`, { session: owner })).body.data;
        return ledger.some((d) => d.test) && ledger.some((d) => d.status_code === 503) && ledger.filter((d) => !d.test && d.ok).length >= 2;
      },
      'deliveries to the demo receiver',
      60_000,
    );
    // The receiver answers every request at once; only its one planned 503 fails.
    expect(ledger.filter((d) => !d.ok).map((d) => d.status_code)).toEqual([503]);
    const delivered = ledger.filter((d) => !d.test && d.ok).reduce((n, d) => n + d.event_count, 0);
    expect(delivered).toBeGreaterThan(0);
    expect(rx.stats().events).toBeGreaterThanOrEqual(delivered);
  });

  it('adds nothing when seeded again, and keeps its login and key', async () => {
    const c = await ownerClient();
    const demoEvents = async () => (await c.query('SELECT count(*)::int AS n FROM audit_events WHERE account_id = $1 AND idempotency_key IS NOT NULL', [accountId])).rows[0].n as number;
    try {
      const before = await demoEvents();
      const again = await seed();
      expect(again.status).toBe(0);
      expect(JSON.parse(again.out)).toMatchObject({ email: DEMO_EMAIL, key: seedKey, created: false });
      expect(await demoEvents()).toBe(before);
      expect((await call(t.url, 'GET', '/v1/destinations', { session: owner })).body.data).toHaveLength(1);
      expect(JSON.parse(readFileSync(join(dir, 'demo-credentials.json'), 'utf8'))).toMatchObject({ email: DEMO_EMAIL, key: seedKey, demo_version: 3 });
    } finally {
      await c.end();
    }
  });
});

describe.each(VIEWPORTS)('the demo on a $name', (vp) => {
  const at = pageAt(() => ({ browser, baseUrl: t.url, cookie: owner.cookie }), vp);
  let page: Page;
  beforeEach(() => {
    page = at.page;
  });

  it('shows weeks of activity on the Audit Log and the destination’s delivery history', async () => {
    // The chart's default window: the last 30 days, one bar a day.
    await page.goto(`${t.url}/audit-log`);
    const bars = page.locator('.activity-bar');
    await bars.first().waitFor();
    const counts = await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
    expect(counts.filter((n) => n > 0).length).toBeGreaterThanOrEqual(25);
    await page.screenshot({ path: join(SCREENSHOTS, `demo-audit-log-${vp.name}.png`) });
    await page.goto(`${t.url}/forwarding`);
    const row = page.getByTestId('destination-row').filter({ hasText: 'Security SIEM (demo receiver)' });
    await row.getByRole('button', { name: 'Deliveries' }).click();
    const drawer = page.getByRole('dialog', { name: /Deliveries/ });
    await drawer.getByTestId('delivery-row').getByText('test event').waitFor();
    await drawer.getByTestId('delivery-row').getByText('503').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, `demo-deliveries-${vp.name}.png`) });
  });
});
