import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { type ApiUnderTest, call, createTenant, spawnApi, type Tenant } from '@audit-trail/testing';
import { launch, SCREENSHOTS } from './browser';

// The embedded viewer, installed from its packed tarball, on a plain HTML page
// served from another origin than the API's: it shows only its token's slice,
// and only on the origins the tenant listed.
const ROOT = join(__dirname, '..', '..', '..');
let api: ApiUnderTest;
let browser: Browser;
let tenant: Tenant;
let site: Server;
let sitePort: number;
let dir: string;
const files = new Map<string, { type: string; body: string | Buffer }>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'viewer-embed-'));
  // Pack the built package and install it into an empty folder, offline: it must carry everything.
  const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: join(ROOT, 'libs/viewer'), encoding: 'utf8' });
  expect(pack.status).toBe(0);
  const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--omit=peer', join(dir, pack.stdout.trim().split('\n').pop() as string)], { cwd: dir, encoding: 'utf8' });
  expect({ status: install.status, stderr: install.stderr }).toMatchObject({ status: 0 });
  files.set('/element.js', { type: 'text/javascript', body: readFileSync(join(dir, 'node_modules/@audit-trail/viewer/dist/element.js')) });

  api = await spawnApi();
  tenant = await createTenant(api, 'premium', 'Embed Co');
  site = createServer((req, res) => {
    const f = files.get((req.url ?? '/').split('?')[0]);
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f.type }).end(f.body);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  sitePort = (site.address() as AddressInfo).port;
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => site?.close(r));
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function seed(project: string) {
  const actor = { type: 'user', id: 'u_1', email: 'staff@embed.test' };
  const events = [
    { action: 'project.renamed', actor, target: { type: 'project', id: project, name: 'Apollo' }, changes: { before: { name: 'Draft' }, after: { name: 'Apollo' } } },
    { action: 'project.deleted', actor, target: { type: 'project', id: project, name: 'Apollo' }, outcome: 'failure' },
    { action: 'project.renamed', actor, target: { type: 'project', id: `${project}-other`, name: 'Not yours' } },
    { action: 'billing.card_added', actor, metadata: { last4: '4242' } },
  ];
  const res = await call(api.url, 'POST', '/v1/events', { key: tenant.key, body: { events } });
  expect(res.status).toBe(202);
}

async function mint(project: string, origins: string[]): Promise<string> {
  const res = await call(api.url, 'POST', '/v1/viewer-tokens', { key: tenant.key, body: { viewer: { id: 'customer_9', email: 'carol@customer.test' }, filter: { target_type: 'project', target_id: project }, origins } });
  expect(res.status).toBe(201);
  return res.body.token;
}

const page = (token: string, extra = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customer portal</title>
<style>
  body { font-family: serif; color: rgb(200, 0, 0); }
  td, button { color: rgb(200, 0, 0) !important; }
  audit-trail-viewer { --atv-color-accent: rgb(10, 100, 60); }
</style></head>
<body><h1>Your project's history</h1>
<audit-trail-viewer token="${token}" base-url="${api.url}" page-size="2"></audit-trail-viewer>
${extra}
<script type="module" src="/element.js"></script></body></html>`;

describe('the embedded viewer', () => {
  it("shows a plain page on another origin its token's slice, with filters, the drawer and the diff, in its own styles", async () => {
    const project = 'p_embed';
    await seed(project);
    const origin = `http://127.0.0.1:${sitePort}`;
    files.set('/', { type: 'text/html', body: page(await mint(project, [origin])) });
    const p = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    p.setDefaultTimeout(20_000);
    await p.goto(`${origin}/`);
    // Playwright's CSS locators reach into open shadow roots.
    const rows = p.locator('audit-trail-viewer').getByTestId('event-row');
    await rows.first().waitFor();
    // Page size 2: the second page loads as the reader reaches the end, and nothing outside the slice ever shows.
    await p.locator('audit-trail-viewer').getByTestId('row-count').filter({ hasText: /^2 entries loaded$/ }).waitFor();
    await expect(rows.allInnerTexts()).resolves.toEqual([expect.stringContaining('project.deleted'), expect.stringContaining('project.renamed')]);
    const text = await p.locator('audit-trail-viewer').innerText();
    expect(text).not.toContain('Not yours');
    expect(text).not.toContain('billing.card_added');
    // The page's styles stay out; its theme variables come in.
    const apply = p.locator('audit-trail-viewer').getByRole('button', { name: 'Apply' });
    expect(await apply.evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(10, 100, 60)');
    expect(await rows.first().locator('td').nth(1).evaluate((td) => getComputedStyle(td).color)).not.toBe('rgb(200, 0, 0)');
    // The drawer and the diff, as in the console.
    await rows.filter({ hasText: 'project.renamed' }).click();
    await p.locator('audit-trail-viewer').getByRole('button', { name: 'Show diff' }).click();
    const diff = p.locator('audit-trail-viewer').getByTestId('diff-view');
    await diff.locator('tr[data-status=changed]').filter({ hasText: 'name' }).waitFor();
    expect(await diff.innerText()).toContain('Apollo');
    await p.screenshot({ path: join(SCREENSHOTS, 'viewer-embedded-drawer.png') });
    await p.locator('audit-trail-viewer').getByRole('button', { name: 'Close' }).click();
    // A filter narrows the slice.
    await p.locator('audit-trail-viewer').getByLabel('Action').fill('project.deleted');
    await apply.click();
    await p.locator('audit-trail-viewer').getByTestId('row-count').filter({ hasText: /^1 entry loaded$/ }).waitFor();
    await expect(rows.allInnerTexts()).resolves.toEqual([expect.stringContaining('project.deleted')]);
    await p.screenshot({ path: join(SCREENSHOTS, 'viewer-embedded.png') });
    await p.close();
  });

  it('refuses an origin the tenant did not list, and says so', async () => {
    const project = 'p_elsewhere';
    await seed(project);
    // The same page, reached as http://localhost:<port>: another origin than the one listed.
    files.set('/', { type: 'text/html', body: page(await mint(project, [`http://127.0.0.1:${sitePort}`])) });
    const p = await browser.newPage();
    p.setDefaultTimeout(20_000);
    await p.goto(`http://localhost:${sitePort}/`);
    await p.locator('audit-trail-viewer').getByRole('alert').filter({ hasText: `may not be used on http://localhost:${sitePort}` }).waitFor();
    expect(await p.locator('audit-trail-viewer').getByTestId('event-row').count()).toBe(0);
    await p.close();
  });

  it('works as a React component in a React app, from the same package', async () => {
    const project = 'p_react';
    await seed(project);
    const origin = `http://127.0.0.1:${sitePort}`;
    const token = await mint(project, [origin]);
    // A tiny React app that imports the installed package, bundled the way an app would bundle it.
    const app = join(dir, 'app');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'index.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title></head><body><div id="root"></div><script type="module" src="./main.js"></script></body></html>');
    writeFileSync(
      join(app, 'main.js'),
      `import { createElement } from 'react';\nimport { createRoot } from 'react-dom/client';\nimport { AuditTrailViewer } from '@audit-trail/viewer';\n` +
        `createRoot(document.getElementById('root')).render(createElement(AuditTrailViewer, { token: ${JSON.stringify(token)}, baseUrl: ${JSON.stringify(api.url)}, title: 'From React' }));\n`,
    );
    // Vite is ESM-only: it builds in a child process, as an app's build would.
    const config = {
      root: app,
      logLevel: 'silent',
      base: '/react/',
      resolve: { alias: { react: join(ROOT, 'node_modules/react'), 'react-dom': join(ROOT, 'node_modules/react-dom'), '@audit-trail/viewer': join(dir, 'node_modules/@audit-trail/viewer') } },
      build: { outDir: join(app, 'dist'), minify: false },
    };
    writeFileSync(join(app, 'vite.config.mjs'), `export default ${JSON.stringify(config)};\n`);
    const built = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(app, 'vite.config.mjs')], { cwd: app, encoding: 'utf8' });
    expect({ status: built.status, stderr: built.stderr }).toMatchObject({ status: 0 });
    const html = readFileSync(join(app, 'dist/index.html'), 'utf8');
    files.set('/react/', { type: 'text/html', body: html });
    const script = /src="\/react\/(assets\/[^"]+\.js)"/.exec(html)?.[1] as string;
    files.set(`/react/${script}`, { type: 'text/javascript', body: readFileSync(join(app, 'dist', script)) });
    const p = await browser.newPage();
    p.setDefaultTimeout(20_000);
    await p.goto(`${origin}/react/`);
    await p.getByRole('heading', { name: 'From React' }).waitFor();
    await p.getByTestId('row-count').filter({ hasText: /^2 entries loaded$/ }).waitFor();
    expect(await p.getByTestId('event-row').allInnerTexts()).toEqual([expect.stringContaining('project.deleted'), expect.stringContaining('project.renamed')]);
    await p.close();
  });
});
