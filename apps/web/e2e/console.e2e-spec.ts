import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { call, login, sessionFrom, setPlan, startApp, uniqueEmail, type TestApp } from '../../api/test/harness';
import { launch, SCREENSHOTS } from './browser';

let t: TestApp;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  t = await startApp({ WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(20_000);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

it('signs up, shows the audit log once licensed, lists ingested events and filters them', async () => {
  const email = uniqueEmail('browser');
  const password = 'browser password 123';
  await page.goto(`${t.url}/signup`);
  await page.getByLabel('Company name').fill('Browser Co');
  await page.getByLabel('Email').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  // Free plan: no Audit Log tab, and a sentence saying why.
  await page.getByText('does not include the audit log').waitFor();
  expect(await page.getByRole('link', { name: 'Audit Log' }).count()).toBe(0);

  const api = sessionFrom(await login(t, email, password));
  const account = await call(t.url, 'GET', '/v1/account', { session: api });
  await setPlan(t, account.body.id, 'premium');
  const key = await call(t.url, 'POST', '/v1/api-keys', { session: api, body: { name: 'browser', scopes: ['events:write'] } });
  const ingest = await call(t.url, 'POST', '/v1/events', {
    key: key.body.key,
    body: {
      events: [
        { action: 'project.create', actor: { type: 'user', id: 'u_a', email: 'alice@browser.test' }, context: { ip: '203.0.113.1' }, target: { type: 'project', name: 'Alpha' } },
        { action: 'project.delete', actor: { type: 'user', id: 'u_b', email: 'bob@browser.test' }, context: { ip: '198.51.100.2' }, target: { type: 'project', name: 'Beta' } },
        { action: 'smtp.update', actor: { type: 'user', id: 'u_b', email: 'bob@browser.test' }, context: { ip: '198.51.100.2' }, metadata: { smtp_host: 'smtp.example' } },
      ],
    },
  });
  expect(ingest.status).toBe(202);

  await page.goto(`${t.url}/`);
  await page.getByRole('link', { name: 'Audit Log' }).waitFor();
  const table = page.getByRole('table', { name: 'Audit log entries' });
  await table.getByText('project.delete').waitFor();
  expect(await page.getByTestId('event-row').count()).toBeGreaterThanOrEqual(5); // three events, plan.changed, api_key.created...
  await page.screenshot({ path: join(SCREENSHOTS, 'audit-log.png'), fullPage: true });

  await page.locator('input[name=actor_email]').fill('bob@browser.test');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/actor_email=bob%40browser\.test/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="event-row"]').length === 2);
  const actions = await page.getByTestId('event-row').locator('td:first-child p').allTextContents();
  expect(actions.sort()).toEqual(['project.delete', 'smtp.update']);

  // The filtered view is a URL another admin can open.
  const shared = page.url();
  const second = await browser.newPage();
  second.setDefaultTimeout(20_000);
  await second.context().addCookies((await page.context().cookies()).map((c) => ({ ...c })));
  await second.goto(shared);
  await second.waitForFunction(() => document.querySelectorAll('[data-testid="event-row"]').length === 2);
  await second.close();

  await page.getByTestId('event-row').first().click();
  await page.getByRole('dialog').getByText('"actor_email": "bob@browser.test"').waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'audit-log-entry.png') });
});

it('shows the plan and its entitlements on the Billing page, and hides the log until licensed', async () => {
  const email = uniqueEmail('billing');
  const password = 'billing password 123';
  const res = await call(t.url, 'POST', '/v1/signup', { body: { account_name: 'Billing Co', email, password } });
  const cookies = res.headers.getSetCookie().map((c) => {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    return { name: pair.slice(0, i), value: pair.slice(i + 1), url: t.url };
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addCookies(cookies);
  const p = await context.newPage();
  p.setDefaultTimeout(20_000);
  await p.goto(`${t.url}/billing`);
  await p.getByRole('heading', { name: 'Billing' }).waitFor();
  expect(await p.getByRole('link', { name: 'Audit Log' }).count()).toBe(0);
  await p.getByRole('columnheader', { name: 'Free (current)' }).waitFor();
  await p.getByText(`npm run plan -- ${res.body.account_id} premium`).waitFor();
  const row = p.getByRole('row', { name: /How long events are kept/ });
  expect(await row.locator('td').allTextContents()).toEqual(['How long events are kept', '—', '90 days', '730 days', '2555 days']);

  await setPlan(t, res.body.account_id, 'premium');
  await p.reload();
  await p.getByRole('columnheader', { name: 'Premium (current)' }).waitFor();
  await p.getByRole('link', { name: 'Audit Log' }).waitFor();
  await p.screenshot({ path: join(SCREENSHOTS, 'billing.png'), fullPage: true });
  await context.close();
});
