import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { call, createTenant, sealAccountLog, spawnApi, type Tenant, type ApiUnderTest } from '@audit-trail/testing';
import { PAGES as CONSOLE_PAGES } from '../src/pages';
import { launch, seriousA11yViolations, signedIn } from './browser';

let t: ApiUnderTest;
let browser: Browser;
let owner: Tenant;

beforeAll(async () => {
  t = await spawnApi({ WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
  browser = await launch();
  owner = await createTenant(t, 'enterprise', 'A11y Co');
  const ingest = await call(t.url, 'POST', '/v1/events', {
    key: owner.key,
    body: {
      events: [
        { action: 'smtp.update', actor: { type: 'user', id: 'u_a', email: 'alice@a11y.test' }, context: { ip: '203.0.113.7' }, changes: { before: { host: 'a' }, after: { host: 'b' } } },
        { action: 'project.delete', actor: { type: 'user', id: 'u_b', email: 'bob@a11y.test' }, outcome: 'failure', target: { type: 'project', name: 'Beta' } },
      ],
    },
  });
  expect(ingest.status).toBe(202);
  expect((await call(t.url, 'POST', '/v1/legal-holds', { session: owner.owner, body: { scope: 'account', reason: 'Litigation' } })).status).toBe(201);
  // Pages as they look in use: a destination in the list, and sealed entries with their badges.
  expect((await call(t.url, 'POST', '/v1/destinations', { key: owner.key, body: { type: 'webhook', name: 'SIEM', url: 'http://127.0.0.1:9/audit' } })).status).toBe(201);
  await sealAccountLog(t.config, owner.accountId);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Wait until every open dialog has finished appearing (contrast is judged on what is fully drawn). */
async function dialogsShown(page: Page) {
  await page.waitForFunction(() => {
    const shown = (el: Element | null): boolean => !el || (getComputedStyle(el).opacity === '1' && shown(el.parentElement));
    return [...document.querySelectorAll('[role="dialog"]')].every((d) => shown(d));
  });
}

/** Wait until the page has its heading and no loading placeholders left. */
async function settled(page: Page, heading: string) {
  await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
  await page.waitForFunction(() => !document.querySelector('.mantine-Skeleton-root, [aria-busy="true"]'));
}

// Every page the console registers, each found by its heading (its nav label): a new page is checked without touching this test.
const PAGES = CONSOLE_PAGES.map((p) => [p.path, p.label] as const);

it('has no serious or critical axe-core violations on any page of the console', async () => {
  const context = await signedIn(browser, t.url, owner.owner.cookie);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const found: Record<string, unknown> = {};
  for (const [path, heading] of PAGES) {
    await page.goto(`${t.url}${path}`);
    await settled(page, heading);
    const v = await seriousA11yViolations(page);
    if (v.length) found[path] = v;
  }
  // The open entry drawer with its diff, and the export dialog.
  await page.goto(`${t.url}/audit-log`);
  await settled(page, 'Audit Log');
  await page.getByTestId('event-row').filter({ hasText: 'smtp.update' }).getByText('Sealed').waitFor();
  await page.getByTestId('event-row').filter({ hasText: 'smtp.update' }).click();
  await page.getByRole('dialog', { name: 'smtp.update' }).getByRole('button', { name: 'Show diff' }).click();
  await page.getByTestId('diff-view').waitFor();
  await dialogsShown(page);
  const drawer = await seriousA11yViolations(page);
  if (drawer.length) found['entry drawer'] = drawer;
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Export' }).click();
  await page.getByRole('dialog').waitFor();
  await dialogsShown(page);
  const dialog = await seriousA11yViolations(page);
  if (dialog.length) found['export dialog'] = dialog;

  // Signed out: sign-in and sign-up.
  const anon = await browser.newContext({ reducedMotion: 'reduce' });
  const p2 = await anon.newPage();
  for (const [path, heading] of [['/login', 'Sign in to Audit Trail'], ['/signup', 'Create your account']] as const) {
    await p2.goto(`${t.url}${path}`);
    await settled(p2, heading);
    const v = await seriousA11yViolations(p2);
    if (v.length) found[path] = v;
  }
  await anon.close();
  await context.close();
  if (Object.keys(found).length) console.log(JSON.stringify(found, null, 1));
  expect(found).toEqual({});
  // A sweep of every page and dialog: on a busy CI machine it needs more than one page's budget.
}, 180_000);

it('can be used from the keyboard: the focused row shows a ring, Enter opens it, Escape closes it', async () => {
  const context = await signedIn(browser, t.url, owner.owner.cookie);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${t.url}/audit-log`);
  await settled(page, 'Audit Log');
  // Tab from the Clear button through the chart (one stop) to the first row.
  await page.getByRole('button', { name: 'Clear' }).focus();
  let focused = '';
  for (let i = 0; i < 12 && focused !== 'event-row'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid ?? document.activeElement?.className ?? '');
  }
  expect(focused).toBe('event-row');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
  expect(outline).toBe('solid');
  await page.keyboard.press('ArrowDown'); // the page scrolls; the row keeps focus
  await page.keyboard.press('Enter');
  const drawer = page.getByRole('dialog');
  await drawer.getByRole('button', { name: 'Copy raw data' }).waitFor();
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'hidden' });

  // The chart's bars: one tab stop, arrow keys move, Enter narrows the table to that day.
  const bars = page.locator('.activity-bar');
  await bars.last().focus();
  await page.keyboard.press('ArrowLeft');
  expect(await page.evaluate(() => document.activeElement === [...document.querySelectorAll('.activity-bar')].at(-2))).toBe(true);
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.waitForURL(/from=.*&to=/);
  await page.getByTestId('event-row').first().waitFor();
  await context.close();
});
