import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const SCREENSHOTS = join(__dirname, '..', '..', '..', 'test-results', 'screenshots');

/** Every test's last view, whatever else it saves: test-results/screenshots/tests/<test>-<n>.png. */
const BY_TEST = join(SCREENSHOTS, 'tests');
const open = new Set<Page>();
const shots = new Map<string, number>();

function slug(): string {
  const name = expect.getState().currentTestName ?? 'outside-a-test';
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

/** Save what each open page (or those of one context) shows now; never fails the test. */
export async function screenshotOpenPages(only?: BrowserContext): Promise<void> {
  const pages = [...open].filter((p) => !p.isClosed() && (!only || p.context() === only));
  for (const p of pages) {
    const name = slug();
    const n = (shots.get(name) ?? 0) + 1;
    shots.set(name, n);
    await p.screenshot({ path: join(BY_TEST, `${name}-${n}.png`), timeout: 5_000 }).catch(() => undefined);
  }
}

function track(context: BrowserContext): BrowserContext {
  context.on('page', (p) => {
    open.add(p);
    p.on('close', () => open.delete(p));
  });
  const close = context.close.bind(context);
  context.close = async (...args: Parameters<BrowserContext['close']>) => {
    await screenshotOpenPages(context);
    return close(...args);
  };
  return context;
}

/** Debian's Chromium, headless, with nothing reaching outside this machine. */
export async function launch(): Promise<Browser> {
  mkdirSync(BY_TEST, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args: Parameters<Browser['newContext']>) => track(await newContext(...args));
  browser.newPage = async (...args: Parameters<Browser['newPage']>) => {
    const context = await browser.newContext(...args);
    const page = await context.newPage();
    // Closing a page from browser.newPage closes its context too, as Playwright does.
    page.on('close', () => void context.close().catch(() => undefined));
    return page;
  };
  return browser;
}

/** A browser context signed in with a session made over the API (cookie pairs "a=b; c=d"). */
export async function signedIn(browser: Browser, baseUrl: string, cookie: string, viewport = { width: 1400, height: 900 }): Promise<BrowserContext> {
  // Reduced motion: dialogs open without a fade, so checks see them as they settle.
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  await context.addCookies(
    cookie.split('; ').map((pair) => {
      const i = pair.indexOf('=');
      return { name: pair.slice(0, i), value: pair.slice(i + 1), url: baseUrl };
    }),
  );
  return context;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical findings on the page as it is now. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target })) }));
}

/** The three sizes the console is checked at. */
export const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'desktop', width: 1400, height: 900 },
] as const;
export type Viewport = (typeof VIEWPORTS)[number];

/**
 * For a describe block: a signed-in page at one viewport, opened before its
 * tests and closed after. Read `.page` and `.context` inside the tests.
 */
export function pageAt(get: () => { browser: Browser; baseUrl: string; cookie: string }, vp: Viewport, setup?: (context: BrowserContext) => Promise<void>) {
  const at = {} as { context: BrowserContext; page: Page };
  beforeAll(async () => {
    const { browser, baseUrl, cookie } = get();
    at.context = await signedIn(browser, baseUrl, cookie, { width: vp.width, height: vp.height });
    await setup?.(at.context);
    at.page = await at.context.newPage();
    at.page.setDefaultTimeout(20_000);
  });
  afterAll(async () => {
    await at.context?.close();
  });
  return at;
}
