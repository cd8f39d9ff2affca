import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { call, createTenant, setPlan, spawnApi, type Tenant, type ApiUnderTest } from '@audit-trail/testing';
import { launch, SCREENSHOTS } from './browser';

let t: ApiUnderTest;
let browser: Browser;
let page: Page;
let tenant: Tenant;

beforeAll(async () => {
  t = await spawnApi({ WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(20_000);
  tenant = await createTenant(t, 'premium', 'Hold Co');
  await page.goto(`${t.url}/login`);
  await page.getByLabel('Email').fill(tenant.email);
  await page.locator('input[name=password]').fill(tenant.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Retention' }).waitFor();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

it('shows the retention period, and on Enterprise lets an owner place and release a legal hold', async () => {
  await page.getByRole('link', { name: 'Retention' }).click();
  await page.getByText('730 days (Premium)').waitFor();
  await page.getByText('Legal holds come with Enterprise.').waitFor();

  await setPlan(t, tenant.accountId, 'enterprise');
  await page.reload();
  await page.getByText('2,555 days (Enterprise)').waitFor();
  await page.getByRole('button', { name: 'Place a legal hold' }).click();
  const dialog = page.getByRole('dialog', { name: 'Place a legal hold' });
  await dialog.getByLabel('Reason').fill('Regulator inquiry R-19');
  await dialog.getByRole('button', { name: 'Place hold' }).click();
  const row = page.getByTestId('legal-hold-row').filter({ hasText: 'Regulator inquiry R-19' });
  await row.getByText('Active').waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'retention.png'), fullPage: true });

  const api = await call(t.url, 'GET', '/v1/legal-holds', { session: tenant.owner });
  expect(api.body.data).toMatchObject([{ scope: 'account', reason: 'Regulator inquiry R-19', active: true }]);

  await row.getByRole('button', { name: 'Release' }).click();
  await page.getByRole('dialog', { name: 'Release this legal hold?' }).getByRole('button', { name: 'Release hold' }).click();
  await row.getByText(/^Released/).waitFor();
  const after = await call(t.url, 'GET', '/v1/legal-holds', { session: tenant.owner });
  expect(after.body.data[0].active).toBe(false);
});
