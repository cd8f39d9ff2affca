import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootFromInclusion } from '@audit-trail/audit-core';
import type { Browser, Page } from 'playwright-core';
import { call, createTenant, spawnWorker, spawnApi, until, type Tenant, type ApiUnderTest } from '@audit-trail/testing';
import { launch, SCREENSHOTS } from './browser';

// The API in-process; the real worker as a child process, sealing every half second.
const env = { QUEUE_PREFIX: `test-webint-${randomUUID().slice(0, 8)}` };
let t: ApiUnderTest;
let browser: Browser;
let page: Page;
let tenant: Tenant;
let worker: ChildProcess;

beforeAll(async () => {
  t = await spawnApi({ ...env, WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
  tenant = await createTenant(t, 'premium', 'Proof Co');
  const events = Array.from({ length: 5 }, (_, i) => ({ action: 'document.update', actor: { type: 'user', id: `u_${i}`, email: `p${i}@proof.test` } }));
  expect((await call(t.url, 'POST', '/v1/events', { key: tenant.key, body: { events } })).status).toBe(202);
  worker = spawnWorker({ ...env, INTEGRITY_ENABLED: 'true', INTEGRITY_SEAL_MS: '500', INTEGRITY_CHECKPOINT_MS: '0' });
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  page.setDefaultTimeout(30_000);
  await page.goto(`${t.url}/login`);
  await page.getByLabel('Email').fill(tenant.email);
  await page.locator('input[name=password]').fill(tenant.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Integrity' }).waitFor();
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await browser?.close();
  await t?.close();
});

it('shows the newest checkpoint, verifies the log on demand, offers the public key, and badges sealed entries', async () => {
  // Wait for a checkpoint that covers all five events (a worker starting on a busy machine can take a while), then open the page.
  await until(
    () => call(t.url, 'GET', '/v1/integrity/digests', { key: tenant.key }),
    (d) => d.body.data?.[0]?.tree_size >= 5,
    60_000,
  );
  await page.getByRole('link', { name: 'Integrity' }).click();
  const row = page.getByTestId('integrity-log').filter({ hasText: 'Account log' });
  await row.getByText(/events ·/).waitFor();
  await row.getByRole('button', { name: 'Verify now' }).click();
  await row.getByTestId('verify-result').getByText(/^Verified · \d+ sealed events$/).waitFor();
  await page.getByRole('link', { name: 'Download public key' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'integrity.png'), fullPage: true });

  await page.getByRole('link', { name: 'Audit Log' }).click();
  await page.getByTestId('event-row').filter({ hasText: 'p0@proof.test' }).getByText('Sealed').waitFor();

  // The entry's inclusion proof downloads as JSON and leads from its leaf to the checkpoint's root.
  await page.getByTestId('event-row').filter({ hasText: 'p0@proof.test' }).click();
  const drawer = page.getByRole('dialog');
  const button = drawer.getByRole('button', { name: 'Download proof' });
  await button.waitFor();
  // When no file arrives, the failure carries what the drawer said instead.
  const download = await Promise.all([page.waitForEvent('download'), button.click()]).then(
    ([d]) => d,
    async (err: Error) => {
      throw new Error(`${err.message}; the drawer said: ${(await drawer.getByRole('alert').allTextContents()).join(' ') || 'nothing'}`);
    },
  );
  expect(download.suggestedFilename()).toMatch(/^proof-[0-9a-f-]{36}\.json$/);
  const proof = JSON.parse(readFileSync(await download.path(), 'utf8'));
  const root = rootFromInclusion(Buffer.from(proof.leaf_hash, 'hex'), proof.leaf_index, proof.tree_size, proof.audit_path.map((h: string) => Buffer.from(h, 'hex')));
  expect(root?.toString('hex')).toBe(proof.checkpoint.root_hash);
});
