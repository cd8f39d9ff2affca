import type { Browser, Page } from 'playwright-core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { call, createTenant, spawnApi, type Tenant, type ApiUnderTest } from '@audit-trail/testing';
import { launch, SCREENSHOTS } from './browser';

let t: ApiUnderTest;
let browser: Browser;
let page: Page;
let tenant: Tenant;
let server: Server;
let receiverUrl: string;
const received: string[] = [];

beforeAll(async () => {
  t = await spawnApi({ WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(20_000);
  tenant = await createTenant(t, 'premium', 'Forward Co');
  await page.goto(`${t.url}/login`);
  await page.getByLabel('Email').fill(tenant.email);
  await page.locator('input[name=password]').fill(tenant.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Forwarding' }).waitFor();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  server?.close();
});

it('adds a webhook, shows its secret once, tests it, shows the delivery log, replays, edits and rotates its secret, and disables it', async () => {
  await page.getByRole('link', { name: 'Forwarding' }).click();
  await page.getByText('0 of 3 destinations in use.').waitFor();
  await page.getByRole('button', { name: 'Add destination' }).click();
  const form = page.getByRole('form', { name: 'Add a destination' });
  await form.getByLabel('Name').fill('Security SIEM');
  await form.getByLabel('URL').fill(receiverUrl);
  await form.getByRole('button', { name: 'Add destination' }).click();
  const secret = await page.getByTestId('new-secret').textContent();
  expect(secret).toMatch(/^whsec_/);

  const row = page.getByTestId('destination-row').filter({ hasText: 'Security SIEM' });
  await row.getByText('Delivering').waitFor();
  await row.getByRole('button', { name: 'Test' }).click();
  await row.getByTestId('test-result').getByText(/HTTP 200/).waitFor();
  // (Another suite's worker may also deliver this destination's own events; the test event is the one we asked for.)
  expect(received.map((b) => (JSON.parse(b) as { events: { action: string }[] }).events[0].action)).toContain('destination.test');

  await row.getByRole('button', { name: 'Deliveries' }).click();
  const drawer = page.getByRole('dialog', { name: /Deliveries/ });
  await drawer.getByTestId('delivery-row').getByText('test event').waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'forwarding.png'), fullPage: true });
  await page.keyboard.press('Escape');

  // Replay a time range from the console (the worker then re-delivers it, marked Audit-Replay).
  await row.getByRole('button', { name: 'Replay' }).click();
  const replay = page.getByRole('form', { name: 'Replay' });
  await replay.getByLabel('From').fill('2026-01-01T00:00');
  await replay.getByRole('button', { name: 'Replay' }).click();
  await page.getByText('The range is queued').waitFor();
  await page.keyboard.press('Escape');

  // Edit: rename, narrow to one category, and rotate the secret (the old one keeps signing for a while).
  await row.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Edit the destination' });
  await edit.getByLabel('Name').fill('Security SIEM EU');
  await edit.getByLabel('Only these categories').fill('members, api_keys');
  await edit.getByLabel('New signing secret').fill('whsec_rotated-0123456789abcdef');
  await edit.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('toast').getByText(/The previous secret also signs until/).waitFor();
  const renamed = page.getByTestId('destination-row').filter({ hasText: 'Security SIEM EU' });
  await renamed.waitFor();

  await renamed.getByRole('button', { name: 'Disable' }).click();
  await renamed.getByText(/^Disabled/).waitFor();
  const api = await call(t.url, 'GET', '/v1/destinations', { session: tenant.owner });
  expect(api.body.data[0]).toMatchObject({ name: 'Security SIEM EU', enabled: false, filter: { actions: [], categories: ['members', 'api_keys'] } });
  expect(api.body.data[0].previous_secret_until).not.toBeNull();
  const log = await call(t.url, 'GET', '/v1/events?action=destination.updated', { session: tenant.owner });
  expect(log.body.entries[0].changes).toBeTruthy();
  expect(JSON.stringify(log.body)).not.toContain('whsec_rotated');
  expect(JSON.stringify(api.body)).not.toContain(secret as string);
});

it('shows the API’s field errors in the form', async () => {
  await page.getByRole('button', { name: 'Add destination' }).click();
  const form = page.getByRole('form', { name: 'Add a destination' });
  await form.getByLabel('Name').fill('Broken');
  await form.getByLabel('URL').fill('ftp://nope.example/');
  await form.getByRole('button', { name: 'Add destination' }).click();
  await form.getByText('must be an http:// or https:// URL').waitFor();
});
