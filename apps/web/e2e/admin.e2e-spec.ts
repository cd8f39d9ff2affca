import type { Browser, BrowserContext, Page } from 'playwright-core';
import { join } from 'node:path';
import { call, setPlan, spawnApi, uniqueEmail, type ApiUnderTest } from '@audit-trail/testing';
import { launch, SCREENSHOTS } from './browser';

let t: ApiUnderTest;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  t = await spawnApi({ WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

it('signs up, creates a key in the console, sees its events, filters, shares an entry, shows its diff, and revokes the key', async () => {
  await page.goto(`${t.url}/signup`);
  await page.getByLabel('Company name').fill('Console Co');
  await page.getByLabel('Email').fill(uniqueEmail('console'));
  await page.locator('input[name=password]').fill('console password 123');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByText('does not include the audit log').waitFor();
  const accountId = (await page.evaluate(() => fetch('/v1/account').then((r) => r.json() as Promise<{ id: string }>))).id;
  await setPlan(t, accountId, 'premium');
  await page.reload();

  // API Keys: create with scopes, shown once with a copy button.
  await page.getByRole('link', { name: 'API Keys' }).click();
  await page.getByRole('button', { name: 'Create key' }).click();
  const form = page.getByRole('form', { name: 'Create an API key' });
  await form.getByLabel('Name').fill('Billing service');
  await form.getByLabel(/^events:read/).check();
  await form.getByRole('button', { name: 'Create key' }).click();
  const key = (await page.getByTestId('new-key').textContent())?.trim() ?? '';
  expect(key).toMatch(/^atk_/);
  await page.getByRole('button', { name: 'Copy key' }).click();
  expect(await clipboard()).toBe(key);
  await page.keyboard.press('Escape');
  // Viewer tokens: the explainer's snippets name this server and copy whole.
  await page.getByRole('heading', { name: 'Viewer tokens' }).waitFor();
  await page.getByRole('button', { name: 'Copy: 2. In your page: show the viewer' }).click();
  expect(await clipboard()).toBe(`<script type="module" src="${t.url}/viewer.js"></script>\n<audit-trail-viewer token="atv_…" base-url="${t.url}"></audit-trail-viewer>`);
  await page.getByRole('button', { name: 'Copy: 1. On your server: mint a token for one customer' }).click();
  expect(await clipboard()).toContain(`curl -X POST ${t.url}/v1/viewer-tokens`);
  await page.screenshot({ path: join(SCREENSHOTS, 'api-keys.png'), fullPage: true });

  // Events sent with it over HTTP show in the table.
  const ingest = await call(t.url, 'POST', '/v1/events', {
    key,
    body: {
      events: [
        { action: 'smtp.update', actor: { type: 'user', id: 'u_a', email: 'alice@console.test' }, context: { ip: '203.0.113.7' }, changes: { before: { smtp_host: 'smtp.old.org', port: 25 }, after: { smtp_host: 'smtp.new.org', tls: true } } },
        { action: 'project.delete', actor: { type: 'user', id: 'u_b', email: 'bob@console.test' }, context: { ip: '198.51.100.9' }, target: { type: 'project', name: 'Beta' } },
      ],
    },
  });
  expect(ingest.status).toBe(202);
  await page.getByRole('link', { name: 'Audit Log' }).click();
  await page.getByRole('table', { name: 'Audit log entries' }).getByText('smtp.update').waitFor();

  // Filters: member, IP, event type, and the search box's qualifiers, all in the URL.
  await page.getByLabel('IP or CIDR').fill('203.0.113.0/24');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/ip=203\.0\.113\.0%2F24/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="event-row"]').length === 1);
  await page.getByLabel('IP or CIDR').fill('');
  // Event type: Settings holds smtp.update and nothing else here.
  await page.getByLabel('Event type', { exact: true }).first().click();
  await page.getByRole('option', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/category=settings/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="event-row"]').length === 1);
  await page.getByTestId('event-row').getByText('smtp.update').waitFor();
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.waitForURL((u) => !u.search.includes('category='));
  // The filter form is rebuilt from the address: wait until it has been (its chips go in the same render), or typing lands in the old one.
  await page.waitForFunction(() => !document.querySelector('[data-testid="filter-chip"]'));
  await page.getByLabel('Search').fill('action:project.* -outcome:failure');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/action=project\.\*/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="event-row"]').length === 1);
  await page.getByTestId('event-row').getByText('project.delete').waitFor();
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="filter-chip"]'));
  await page.locator('input[name=actor_email]').fill('alice@console.test');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="event-row"]').length === 1);

  // The entry: copy its link, open it in another page, show the diff.
  await page.getByTestId('event-row').first().click();
  const drawer = page.getByRole('dialog', { name: 'smtp.update' });
  await drawer.getByRole('button', { name: 'Copy link' }).click();
  const link = await clipboard();
  expect(link).toMatch(/\/audit-log\?event=/);
  await drawer.getByRole('button', { name: 'Copy metadata' }).waitFor();
  await drawer.getByRole('button', { name: 'Copy raw data' }).click();
  expect(JSON.parse(await clipboard())).toMatchObject({ action: 'smtp.update', actor_email: 'alice@console.test' });
  await drawer.getByRole('button', { name: 'Show diff' }).click();
  const diff = drawer.getByTestId('diff-view');
  await diff.locator('tr[data-status="changed"]').getByText('smtp.new.org').waitFor();
  expect(await diff.locator('tr[data-status="removed"]').getByText('port').count()).toBe(1);
  expect(await diff.locator('tr[data-status="added"]').getByText('tls').count()).toBe(1);
  await page.screenshot({ path: join(SCREENSHOTS, 'entry-diff.png') });
  const other = await context.newPage();
  await other.goto(link);
  await other.getByRole('dialog', { name: 'smtp.update' }).getByText('alice@console.test').first().waitFor();
  await other.close();
  await page.keyboard.press('Escape');

  // Revoke the key, confirming; it stops working.
  await page.getByRole('link', { name: 'API Keys' }).click();
  const row = page.getByTestId('key-row').filter({ hasText: 'Billing service' });
  await row.getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('dialog', { name: 'Revoke this key?' }).getByRole('button', { name: 'Revoke key' }).click();
  await page.getByTestId('toast').getByText(/revoked/).waitFor();
  await new Promise((r) => setTimeout(r, 1200));
  expect((await call(t.url, 'POST', '/v1/events', { key, body: { action: 'x.y', actor: { type: 'system' } } })).status).toBe(401);
  // A revoked key stays listed, and its activity stays readable: what it sent, marked API.
  await row.getByText(/^Revoked /).waitFor();
  expect(await row.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
  await row.getByRole('button', { name: 'Activity of Billing service' }).click();
  const activity = page.getByRole('dialog', { name: 'Activity of “Billing service”' });
  await activity.getByTestId('activity-row').filter({ hasText: 'smtp.update' }).first().getByText('API').waitFor();
  await page.waitForTimeout(400); // the dialog's fade-in, for the screenshot
  await page.screenshot({ path: join(SCREENSHOTS, 'key-activity.png') });
  await page.keyboard.press('Escape');
});

it('invites a member, changes workspaces, and confirms destructive steps', async () => {
  await page.getByRole('link', { name: 'Workspaces' }).click();
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await page.getByRole('form', { name: 'Workspace name' }).getByLabel('Name').fill('Staging');
  await page.getByRole('button', { name: 'Save' }).click();
  const staging = page.getByTestId('workspace-row').filter({ hasText: 'Staging' });
  await staging.waitFor();
  await staging.getByRole('button', { name: 'Rename' }).click();
  await page.getByRole('form', { name: 'Workspace name' }).getByLabel('Name').fill('Staging EU');
  await page.getByRole('button', { name: 'Save' }).click();
  const renamed = page.getByTestId('workspace-row').filter({ hasText: 'Staging EU' });
  await renamed.waitFor();
  await renamed.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete this workspace?' }).getByRole('button', { name: 'Delete workspace' }).click();
  await page.getByTestId('toast').getByText(/Workspace deleted/).waitFor();

  await page.getByRole('link', { name: 'Members' }).click();
  await page.getByRole('button', { name: 'Invite' }).click();
  const invitee = uniqueEmail('invitee');
  await page.getByRole('form', { name: 'Invite a person' }).getByLabel('Email').fill(invitee);
  await page.getByRole('button', { name: 'Create invitation' }).click();
  const link = (await page.getByTestId('invitation-link').textContent())?.trim() ?? '';
  expect(link).toMatch(/\/invitations\//);
  await page.screenshot({ path: join(SCREENSHOTS, 'members.png'), fullPage: true });

  // The invitee accepts in their own browser and lands in the console.
  const theirs = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const p2 = await theirs.newPage();
  await p2.goto(link);
  await p2.getByLabel('Your name').fill('Ivy Invitee');
  await p2.locator('input[name=password]').fill('invitee password 123');
  await p2.getByRole('button', { name: 'Accept invitation' }).click();
  await p2.getByRole('button', { name: 'Sign out' }).waitFor();
  await theirs.close();
  await page.reload();
  await page.getByTestId('member-row').filter({ hasText: invitee }).waitFor();
});

it('registers an action with a metadata schema on the Catalog page and lists it as the tenant’s own', async () => {
  await page.getByRole('link', { name: 'Catalog' }).click();
  await page.getByTestId('catalog-row').filter({ hasText: 'api_key.created' }).getByText('platform').waitFor();
  await page.getByRole('button', { name: 'Register an action' }).click();
  const form = page.getByRole('form', { name: 'Action registration' });
  await form.locator('input[name=action]').fill('subscription.changed');
  await form.getByLabel('Description').fill('A customer changed plan.');
  await form.getByLabel(/Metadata schema/).fill('{"type": "object", "required": ["plan"]}');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('toast').getByText(/subscription\.changed saved \(version 1\)/).waitFor();
  const row = page.getByTestId('catalog-row').filter({ hasText: 'subscription.changed' });
  await row.getByText('yours').waitFor();
  await row.getByText('schema', { exact: true }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'catalog.png'), fullPage: true });
  const stored = await page.evaluate(() => fetch('/v1/catalog/actions/subscription.changed').then((r) => r.json() as Promise<{ metadata_schema: unknown; description: string }>));
  expect(stored).toMatchObject({ description: 'A customer changed plan.', metadata_schema: { type: 'object', required: ['plan'] } });
  // A schema that is not JSON is caught in the form, before anything is sent.
  await row.getByRole('button', { name: 'Edit subscription.changed' }).click();
  await form.getByLabel(/Metadata schema/).fill('{not json');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByText('The schema is not valid JSON.').waitFor();
});
