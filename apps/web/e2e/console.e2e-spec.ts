import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { addMember, call, createTenant, login, sessionFrom, setPlan, spawnApi, uniqueEmail, type ApiUnderTest } from '@audit-trail/testing';
import { launch, SCREENSHOTS, signedIn } from './browser';

let t: ApiUnderTest;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  t = await spawnApi({ WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
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

it('charts the filtered log, narrows to a day from a bar, and scrolls through 1,000 entries with few rows in the page', async () => {
  const tenant = await createTenant(t, 'premium', 'Busy Co');
  const now = Date.now();
  // 1,000 events over the last 50 hours, one every 3 minutes; item 0 is the newest.
  const events = Array.from({ length: 1000 }, (_, i) => ({
    action: 'report.generate',
    occurred_at: new Date(now - 60_000 - i * 180_000).toISOString(),
    actor: { type: 'user', id: 'u_r', email: 'reporter@busy.test' },
    target: { type: 'report', id: `r_${i}`, name: `item ${i}` },
  }));
  expect((await call(t.url, 'POST', '/v1/events', { key: tenant.key, body: { events } })).status).toBe(202);

  const context = await signedIn(browser, t.url, tenant.owner.cookie);
  const p = await context.newPage();
  p.setDefaultTimeout(20_000);
  await p.goto(`${t.url}/audit-log?action=report.generate`);
  await p.getByTestId('activity-summary').getByText(/^1,000 events in \d+ days/).waitFor();
  const bars = await p.locator('.activity-bar').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.count)));
  expect(bars.reduce((a, b) => a + b, 0)).toBe(1000);
  await p.getByTestId('event-row').first().waitFor();
  await p.screenshot({ path: join(SCREENSHOTS, 'audit-log-activity.png') });

  // Scroll to the end: pages load as the reader nears the bottom, and the DOM holds only the rows near the viewport.
  let maxRows = 0;
  for (let i = 0; i < 60; i++) {
    await p.mouse.wheel(0, 4000);
    await p.waitForTimeout(50);
    maxRows = Math.max(maxRows, await p.getByTestId('event-row').count());
    if ((await p.getByTestId('row-count').textContent()) === '1,000 entries loaded' && (await p.getByText('item 999', { exact: true }).count()) === 1) break;
  }
  await p.getByText('item 999', { exact: true }).waitFor();
  expect(await p.getByTestId('row-count').textContent()).toBe('1,000 entries loaded');
  expect(maxRows).toBeGreaterThan(10);
  expect(maxRows).toBeLessThan(100);
  expect(await p.getByText('item 0', { exact: true }).count()).toBe(0); // scrolled out of the DOM

  // A bar narrows the table (and the chart) to its day; the counts agree.
  const busiest = bars.indexOf(Math.max(...bars));
  await p.locator('.activity-bar').nth(busiest).click();
  await p.waitForURL(/from=.*&to=/);
  await p.getByTestId('activity-summary').getByText(new RegExp(`^${bars[busiest].toLocaleString('en-US')} events in 2[345] hours`)).waitFor();
  const expected = bars[busiest] > 100 ? '100 entries loaded; more load as you scroll' : `${bars[busiest]} entries loaded`;
  await p.waitForFunction((text) => document.querySelector('[data-testid="row-count"]')?.textContent === text, expected);
  await context.close();
});

it('keeps the date range inside an Essentials plan\'s 30 days and says why', async () => {
  const tenant = await createTenant(t, 'essentials', 'Window Co');
  const context = await signedIn(browser, t.url, tenant.owner.cookie);
  const p = await context.newPage();
  p.setDefaultTimeout(20_000);
  await p.goto(`${t.url}/audit-log`);
  await p.getByText('shows the last 30 days, so earlier dates cannot be chosen').waitFor();
  const min = await p.locator('input[name=from]').getAttribute('min');
  expect(Math.abs(Date.parse(min as string) - (Date.now() - 30 * 86_400_000))).toBeLessThan(5 * 60_000);
  // The browser refuses an earlier start: the form is not sent and the URL keeps no date.
  await p.locator('input[name=from]').fill('2020-01-01T00:00');
  await p.getByRole('button', { name: 'Apply' }).click();
  expect(await p.locator('input[name=from]').evaluate((e) => (e as HTMLInputElement).validity.rangeUnderflow)).toBe(true);
  expect(p.url()).not.toContain('from=');
  await context.close();
});

it('lets a person in two accounts switch between them from the header', async () => {
  const home = await createTenant(t, 'premium', 'Home Co');
  const client = await createTenant(t, 'essentials', 'Client Co');
  const inv = await call(t.url, 'POST', '/v1/members/invitations', { session: client.owner, body: { email: home.email, role: 'admin' } });
  expect((await call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { password: home.password } })).status).toBe(201);

  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const p = await context.newPage();
  p.setDefaultTimeout(20_000);
  await p.goto(`${t.url}/login`);
  await p.getByLabel('Email').fill(home.email);
  await p.locator('input[name=password]').fill(home.password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  const switcher = p.locator('input[aria-label="Account"]');
  await switcher.waitFor();
  expect(await switcher.inputValue()).toBe('Home Co · Premium');
  await switcher.click();
  await p.getByRole('option', { name: 'Client Co (admin)' }).click();
  await p.getByTestId('toast').getByText('Switched to Client Co').waitFor();
  await p.waitForFunction(() => document.querySelector<HTMLInputElement>('input[aria-label="Account"]')?.value === 'Client Co · Essentials');
  // The log is Client Co's: its own member.joined for this person, and its plan's 30-day window.
  await p.getByText('shows the last 30 days').waitFor();
  await p.getByTestId('event-row').filter({ hasText: 'member.joined' }).waitFor();
  await p.screenshot({ path: join(SCREENSHOTS, 'account-switcher.png') });
  await context.close();
});

it('shows a workspace admin only their workspaces\' logs, and a plain member why there is no log', async () => {
  const tenant = await createTenant(t, 'premium', 'Roles Co');
  const ops = (await call(t.url, 'POST', '/v1/workspaces', { key: tenant.key, body: { name: 'Ops' } })).body.id as string;
  await call(t.url, 'POST', '/v1/events', {
    key: tenant.key,
    body: { events: [{ action: 'deploy.start', workspace_id: ops, actor: { type: 'system' } }, { action: 'deploy.prod', workspace_id: tenant.workspaceId, actor: { type: 'system' } }] },
  });
  const wsAdmin = await addMember(t, tenant, 'member', [ops]);
  const context = await signedIn(browser, t.url, wsAdmin.session.cookie);
  const p = await context.newPage();
  p.setDefaultTimeout(20_000);
  await p.goto(`${t.url}/`);
  await p.waitForURL(/\/audit-log/);
  expect(await p.locator('input[aria-label="Log"]').inputValue()).toBe('All my workspaces');
  await p.getByTestId('event-row').filter({ hasText: 'deploy.start' }).waitFor();
  expect(await p.getByTestId('event-row').filter({ hasText: 'deploy.prod' }).count()).toBe(0);
  const nav = await p.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
  // The catalog counts only what they may read (their workspaces' logs).
  expect(nav).toEqual(['Audit Log', 'Exports', 'Catalog', 'Your account', 'Billing']);
  await context.close();

  const plain = await addMember(t, tenant, 'member');
  const c2 = await signedIn(browser, t.url, plain.session.cookie);
  const p2 = await c2.newPage();
  p2.setDefaultTimeout(20_000);
  await p2.goto(`${t.url}/audit-log`);
  await p2.getByText('you administer none yet').waitFor();
  expect(await p2.getByRole('link', { name: 'Audit Log' }).count()).toBe(0);
  await c2.close();
});
