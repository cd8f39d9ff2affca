import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { join } from 'node:path';
import { type ApiUnderTest, call, createTenant, spawnApi, type Tenant } from '@audit-trail/testing';
import { launch, pageAt, signedIn, VIEWPORTS } from './browser';

// The log table as people read it, at three sizes: the open entry in the
// address (Back closes it), active filters as chips with their own remove
// buttons, "All" on the empty selects, times in local time with the zone
// (UTC on hover) and relative for recent rows, long target ids shortened
// with a copy button, and arrow keys moving between rows.
let t: ApiUnderTest;
let browser: Browser;
let x: Tenant;
const TARGET_ID = '7f3c2a9e-1b4d-4e8f-9a6b-0c2d4e6f8a1b';
const overflowOf = (px: number) => Math.max(0, px);
/** The row of an event by its action (reading the log records log.viewed entries that mention filters too). */
const rowOf = (page: Page, action: string) => page.getByTestId('event-row').filter({ has: page.locator('td:first-child p', { hasText: new RegExp(`^${action.replace('.', '\\.')}$`) }) });

beforeAll(async () => {
  t = await spawnApi({ WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
  browser = await launch();
  x = await createTenant(t, 'premium', 'Table Co');
  const events = [
    { action: 'invoice.paid', actor: { type: 'user', id: 'u_1', email: 'ana@table.test' }, target: { type: 'invoice', id: TARGET_ID }, occurred_at: new Date(Date.now() - 3 * 86_400_000).toISOString() },
    { action: 'document.update', actor: { type: 'user', id: 'u_2', email: 'ben@table.test' }, target: { type: 'document', id: 'doc_1', name: 'Roadmap' }, occurred_at: new Date(Date.now() - 5 * 60_000).toISOString() },
    { action: 'document.update', actor: { type: 'user', id: 'u_1', email: 'ana@table.test' }, target: { type: 'document', id: 'doc_2', name: 'Budget' }, outcome: 'failure' },
  ];
  expect((await call(t.url, 'POST', '/v1/events', { key: x.key, body: { events } })).status).toBe(202);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe.each(VIEWPORTS)('on a $name', (vp) => {
  const at = pageAt(() => ({ browser, baseUrl: t.url, cookie: x.owner.cookie }), vp, (context) => context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url }));
  let page: Page;
  let context: BrowserContext;
  beforeEach(() => {
    ({ page, context } = at);
  });

  it('puts the open entry in the address, and Back closes it', async () => {
    await page.goto(`${t.url}/audit-log?action=invoice.paid`);
    await rowOf(page, 'invoice.paid').click();
    await page.waitForURL(/[?&]event=[0-9a-f-]{36}/);
    const drawer = page.getByRole('dialog');
    await drawer.getByText(TARGET_ID).first().waitFor();
    // The address opens the same entry for whoever follows it.
    const shared = page.url();
    await page.goBack();
    await page.waitForURL((u) => !u.searchParams.has('event'));
    await drawer.waitFor({ state: 'hidden' });
    const other = await context.newPage();
    await other.goto(shared);
    await other.getByRole('dialog').getByText(TARGET_ID).first().waitFor();
    await other.close();
  });

  it('shows active filters as chips, each removable, and "All" on empty selects', async () => {
    await page.goto(`${t.url}/audit-log?actor_email=ana%40table.test&outcome=failure`);
    const chips = page.getByTestId('filter-chip');
    await chips.first().waitFor();
    expect((await chips.allInnerTexts()).map((s) => s.trim()).sort()).toEqual(['Member: ana@table.test', 'Outcome: failure']);
    await rowOf(page, 'document.update').first().waitFor();
    expect(await rowOf(page, 'document.update').count()).toBe(1);
    await page.getByRole('button', { name: 'Remove filter Outcome: failure' }).click();
    await page.waitForURL((u) => !u.searchParams.has('outcome') && u.searchParams.get('actor_email') === 'ana@table.test');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="event-row"] td:first-child p')].filter((p) => p.textContent === 'document.update').length === 1 && [...document.querySelectorAll('[data-testid="event-row"] td:first-child p')].some((p) => p.textContent === 'invoice.paid'));
    await page.getByRole('button', { name: 'Remove filter Member: ana@table.test' }).click();
    await page.waitForURL((u) => !u.searchParams.has('actor_email'));
    await page.waitForFunction(() => !document.querySelector('[data-testid="filter-chip"]'));
    // Wide screens show the fields inline; a phone shows them in the drawer.
    if (vp.width < 768) await page.getByRole('button', { name: /^Filters/ }).click();
    const form = page.getByRole('form', { name: 'Filters' });
    // Event type and Outcome, both empty: they say "All".
    expect(await form.locator('input[placeholder="All"]').count()).toBe(2);
  });

  it('writes times in local time with the zone, recent ones relative, and shortens long target ids with a copy button', async () => {
    await page.goto(`${t.url}/audit-log`);
    const recent = page.getByTestId('event-row').filter({ hasText: 'Roadmap' }).first().getByTestId('event-time');
    expect(await recent.innerText()).toMatch(/minutes? ago/);
    expect(await recent.getAttribute('title')).toMatch(/UTC$/);
    const older = rowOf(page, 'invoice.paid');
    // Browsers in this test run in UTC: the zone is written out.
    expect(await older.getByTestId('event-time').innerText()).toMatch(/\d{2}:\d{2}:\d{2}.*(UTC|GMT)/);
    expect(await older.innerText()).toContain('7f3c2a9e…');
    expect(await older.innerText()).not.toContain(TARGET_ID);
    const copy = older.getByRole('button', { name: `Copy target id ${TARGET_ID}` });
    await copy.scrollIntoViewIfNeeded();
    await copy.click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(TARGET_ID);
    // Copying does not open the entry.
    expect(page.url()).not.toContain('event=');
  });

  it('saves a named search, opens it again from the list, and deletes it', async () => {
    const name = `Ana ${vp.name}`;
    await page.goto(`${t.url}/audit-log?actor_email=ana%40table.test`);
    await page.getByTestId('filter-chip').first().waitFor();
    await page.getByRole('button', { name: 'Saved' }).click();
    await page.getByRole('menuitem', { name: 'Save this search…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save this search' });
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // Kept on the server for this person: another browser signed in as them lists it and opens it.
    const saved = (await call(t.url, 'GET', '/v1/saved-searches', { session: x.owner })).body.data as { name: string; query: string }[];
    expect(saved.find((s) => s.name === name)?.query).toBe('actor_email=ana%40table.test');
    const elsewhere = await signedIn(browser, t.url, x.owner.cookie, { width: vp.width, height: vp.height });
    try {
      const other = await elsewhere.newPage();
      await other.goto(`${t.url}/audit-log`);
      await other.getByRole('button', { name: 'Saved' }).click();
      await other.getByRole('menuitem', { name }).click();
      await other.waitForURL(/actor_email=ana%40table\.test/);
      await other.getByTestId('filter-chip').filter({ hasText: 'Member: ana@table.test' }).waitFor();
      expect(overflowOf(await other.evaluate(() => document.documentElement.scrollWidth - window.innerWidth))).toBe(0);
    } finally {
      await elsewhere.close();
    }
    await page.goto(`${t.url}/audit-log`);
    await page.getByRole('button', { name: 'Saved' }).click();
    await page.getByRole('button', { name: `Delete ${name}` }).click();
    await page.getByRole('menuitem', { name }).waitFor({ state: 'detached' });
    expect(((await call(t.url, 'GET', '/v1/saved-searches', { session: x.owner })).body.data as { name: string }[]).map((s) => s.name)).not.toContain(name);
  });

  it('moves searches an earlier version kept in this browser to the server, once', async () => {
    const name = `Kept locally ${vp.name}`;
    // Set on a page of the same origin that runs none of the console (so no console page reads it first).
    await page.goto(`${t.url}/healthz`);
    await page.evaluate(([k, v]) => localStorage.setItem(k, v), [`audit-trail:saved-searches:${x.accountId}:${x.userId}`, JSON.stringify([{ name, query: 'outcome=failure' }])]);
    // A list read answered slowly (as on a loaded machine): the server reads it at once, the browser gets it later.
    // The list must still show the moved search, so the move has to happen before the list is read.
    const slowList = async (route: Route) => {
      if (route.request().method() !== 'GET') return route.continue();
      const response = await route.fetch();
      await new Promise((r) => setTimeout(r, 1500));
      await route.fulfill({ response });
    };
    await page.route('**/v1/saved-searches', slowList);
    await page.goto(`${t.url}/audit-log`);
    await page.getByRole('button', { name: 'Saved' }).click();
    await page.getByRole('menuitem', { name }).waitFor();
    await page.unroute('**/v1/saved-searches', slowList);
    expect(await page.evaluate((k) => localStorage.getItem(k), `audit-trail:saved-searches:${x.accountId}:${x.userId}`)).toBeNull();
    const saved = (await call(t.url, 'GET', '/v1/saved-searches', { session: x.owner })).body.data as { id: string; name: string; query: string }[];
    const moved = saved.find((s) => s.name === name);
    expect(moved?.query).toBe('outcome=failure');
    await call(t.url, 'DELETE', `/v1/saved-searches/${moved?.id}`, { session: x.owner });
    await page.keyboard.press('Escape');
  });

  it('moves between rows with the arrow keys and opens one with Enter', async () => {
    await page.goto(`${t.url}/audit-log`);
    const rows = page.getByTestId('event-row');
    await rows.first().focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-index'))).toBe('1');
    await page.keyboard.press('ArrowUp');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-index'))).toBe('0');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL(/[?&]event=/);
  });
});
