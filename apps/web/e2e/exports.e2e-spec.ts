import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { call, createTenant, ownerClient, setPlan, spawnWorker, spawnApi, type Tenant, type ApiUnderTest } from '@audit-trail/testing';
import { launch, SCREENSHOTS } from './browser';

// The API in-process, the real worker as a child process, both on one Redis prefix and export directory.
const env = { QUEUE_PREFIX: `test-webexp-${randomUUID().slice(0, 8)}`, EXPORT_DIR: mkdtempSync(join(tmpdir(), 'web-exports-')) };
const N = 150_000;
let t: ApiUnderTest;
let browser: Browser;
let page: Page;
let tenant: Tenant;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  t = await spawnApi({ ...env, WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  page.setDefaultTimeout(30_000);
  tenant = await createTenant(t, 'premium', 'Export Co');
  // Enough rows that the export visibly runs for a few seconds with small fetches.
  const c = await ownerClient();
  await c.query(
    `INSERT INTO audit_events (account_id, id, occurred_at, received_at, action, category, actor_type, actor_id, outcome, metadata)
     SELECT $1, gen_random_uuid(), now() - make_interval(secs => g), now() - interval '1 hour',
            CASE WHEN g % 3 = 0 THEN 'report.download' ELSE 'report.view' END, 'custom', 'user', 'u_' || (g % 40), 'success', jsonb_build_object('n', g)
     FROM generate_series(1, $2::int) g`,
    [tenant.accountId, N],
  );
  await c.end();
  await page.goto(`${t.url}/login`);
  await page.getByLabel('Email').fill(tenant.email);
  await page.locator('input[name=password]').fill(tenant.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Audit Log' }).waitFor();
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await browser?.close();
  await t?.close();
  rmSync(env.EXPORT_DIR, { recursive: true, force: true });
});

it('exports the filtered log from the Audit Log page with a progress bar, then downloads the file', async () => {
  await page.goto(`${t.url}/audit-log?action=report.download`);
  await page.getByTestId('event-row').first().waitFor();
  await page.getByRole('button', { name: 'Export' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export the audit log' });
  await dialog.getByText('action = report.download').waitFor();
  await dialog.getByText('Premium exports the last 365 days').waitFor();
  // NDJSON streams from a cursor in small fetches: slow enough to watch it run
  // (PostgreSQL writes a CSV of these rows in a fraction of a second).
  await dialog.getByText('NDJSON (SIEM import)').click();
  await dialog.getByRole('button', { name: 'Start export' }).click();

  // No worker yet: the export waits in the queue, and says so.
  const row = dialog.getByTestId('export-row').first();
  await row.getByText('Waiting for a worker…').waitFor();
  worker = spawnWorker({ ...env, EXPORT_FETCH_ROWS: '20' });
  // Running: the bar and the row count move.
  await row.getByText(/^\d+% · [\d,]+ rows$/).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'export-dialog.png') });
  const download = row.getByRole('link', { name: 'Download' });
  await download.waitFor({ timeout: 60_000 });
  await row.getByText(`${(N / 3).toLocaleString('en-US')} rows`, { exact: false }).waitFor();

  const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
  expect(file.suggestedFilename()).toMatch(/^audit-log-.+\.ndjson$/);
  const rows = readFileSync(await file.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string });
  expect(rows).toHaveLength(N / 3);
  expect(new Set(rows.map((r) => r.action))).toEqual(new Set(['report.download']));

  // The Exports page lists it too.
  await page.keyboard.press('Escape');
  await page.getByRole('link', { name: 'Exports' }).click();
  await page.getByRole('table', { name: 'Recent exports' }).getByRole('link', { name: 'Download' }).first().waitFor();
});

it('keeps the range inside the plan window and shows the API’s reason when it is not', async () => {
  await setPlan(t, tenant.accountId, 'essentials');
  await page.goto(`${t.url}/audit-log`);
  await page.getByRole('button', { name: 'Export' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export the audit log' });
  await dialog.getByText('Essentials exports the last 30 days').waitFor();
  const from = dialog.getByLabel('From');
  const min = await from.getAttribute('min');
  expect(min).not.toBeNull();
  const minDays = (Date.now() - new Date(min as string).getTime()) / 86_400_000;
  expect(minDays).toBeGreaterThan(29.9);
  expect(minDays).toBeLessThan(30.1);
  // The picker will not submit an earlier date; past it (as a crafted request would), the API refuses with its reason.
  await from.evaluate((el) => el.removeAttribute('min'));
  await from.fill('2020-01-01T00:00');
  await dialog.getByRole('button', { name: 'Start export' }).click();
  await dialog.getByRole('alert').getByText('Essentials exports the last 30 days').waitFor();
  const list = await call(t.url, 'GET', '/v1/exports', { key: tenant.key });
  expect(list.body.data).toHaveLength(1); // the refused request stored nothing
});
