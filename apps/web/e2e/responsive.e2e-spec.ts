import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { type ApiUnderTest, call, createTenant, spawnApi, type Tenant } from '@audit-trail/testing';
import { PAGES } from '../src/pages';
import { launch, pageAt, SCREENSHOTS, VIEWPORTS } from './browser';

// The console on a phone (390×844), a tablet (768×1024) and a desktop: a
// navigation that folds behind a menu button, filters in a drawer on small
// screens, the log table scrolling inside its own box, and no page wider than
// the screen.
let t: ApiUnderTest;
let browser: Browser;
let x: Tenant;

beforeAll(async () => {
  t = await spawnApi({ WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
  browser = await launch();
  x = await createTenant(t, 'enterprise', 'Responsive Co');
  const events = Array.from({ length: 30 }, (_, i) => ({
    action: i % 3 ? 'document.update' : 'user.login',
    actor: { type: 'user', id: `u_${i % 4}`, email: `person${i % 4}@responsive.test`, name: `Person ${i % 4}` },
    target: { type: 'document', id: `doc_${i}`, name: `Quarterly plan ${i}` },
    context: { ip: `203.0.113.${i}` },
    outcome: i % 7 ? 'success' : 'failure',
  }));
  expect((await call(t.url, 'POST', '/v1/events', { key: x.key, body: { events } })).status).toBe(202);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Whether an element is on screen (a folded navigation is moved off to the left, not removed). */
const onScreen = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.right > 0 && r.left < window.innerWidth && r.width > 0;
  });

/** How far the page is wider than the window (0 when it fits). */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

describe.each(VIEWPORTS)('on a $name ($width×$height)', (vp) => {
  const at = pageAt(() => ({ browser, baseUrl: t.url, cookie: x.owner.cookie }), vp);
  let page: Page;
  beforeEach(() => {
    page = at.page;
  });

  it('shows the audit log without sideways scrolling, its table in its own box', async () => {
    await page.goto(`${t.url}/audit-log`);
    await page.getByTestId('event-row').first().waitFor();
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    // Badges stay whole words, not single letters.
    const badge = page.getByTestId('event-row').first().getByTestId('source-badge');
    expect((await badge.innerText()).trim().length).toBeGreaterThanOrEqual(3);
    const box = await badge.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(24);
    await page.screenshot({ path: join(SCREENSHOTS, `audit-log-${vp.name}.png`) });
  });

  it('offers every page through its navigation, folded behind a menu button on a phone', async () => {
    const menu = page.getByRole('button', { name: 'Open navigation' });
    const nav = page.getByRole('navigation', { name: 'Main' });
    if (vp.width < 768) {
      expect(await menu.isVisible()).toBe(true);
      expect(await onScreen(page, 'Members')).toBe(false);
      await menu.click();
      await page.waitForFunction(() => {
        const link = [...document.querySelectorAll('nav a')].find((a) => a.textContent === 'Members');
        const r = link?.getBoundingClientRect();
        return r !== undefined && r.left >= 0 && r.right <= window.innerWidth;
      });
      await page.screenshot({ path: join(SCREENSHOTS, `navigation-${vp.name}.png`) });
      await nav.getByRole('link', { name: 'Members' }).click();
      await page.waitForURL(/\/members$/);
      // Choosing a page folds the navigation away again.
      await page.waitForFunction(() => {
        const link = [...document.querySelectorAll('nav a')].find((a) => a.textContent === 'Members');
        return (link?.getBoundingClientRect().right ?? 0) <= 0;
      });
    } else {
      expect(await menu.isVisible()).toBe(false);
      await nav.getByRole('link', { name: 'Members' }).click();
      await page.waitForURL(/\/members$/);
    }
  });

  it('fits every page in the width of the screen', async () => {
    const wide: string[] = [];
    for (const p of PAGES) {
      await page.goto(`${t.url}${p.path}`);
      await page.getByRole('heading', { level: 2, name: p.label }).waitFor();
      await page.waitForLoadState('networkidle');
      const over = await overflow(page);
      if (over > 0) wide.push(`${p.path} (+${over} px)`);
    }
    expect(wide).toEqual([]);
  });

  it('keeps the filters in a drawer on a phone, inline on wider screens', async () => {
    await page.goto(`${t.url}/audit-log`);
    await page.getByTestId('event-row').first().waitFor();
    const button = page.getByRole('button', { name: /^Filters/ });
    if (vp.width < 768) {
      expect(await page.locator('input[name=actor_email]').isVisible()).toBe(false);
      await button.click();
      const drawer = page.getByRole('dialog', { name: 'Filters' });
      await drawer.locator('input[name=actor_email]').fill('person1@responsive.test');
      await drawer.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL(/actor_email=person1%40responsive\.test/);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="event-row"]').length > 0 && document.querySelectorAll('[data-testid="event-row"]').length < 30);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
    } else {
      expect(await button.count()).toBe(0);
      expect(await page.locator('input[name=actor_email]').isVisible()).toBe(true);
    }
  });
});
