import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { type ApiUnderTest, addMember, call, createTenant, spawnApi, type Tenant } from '@audit-trail/testing';
import { launch, pageAt, SCREENSHOTS, VIEWPORTS } from './browser';

// Members and API keys as an owner sees them, at three sizes: names shown
// once, the owner's own role locked, pending invitations listed with a
// revoke button, revoked keys listed with when and by whom, and one style
// for every row action.
let t: ApiUnderTest;
let browser: Browser;
let x: Tenant;

beforeAll(async () => {
  t = await spawnApi({ WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
  browser = await launch();
  x = await createTenant(t, 'premium', 'People Co');
  await addMember(t, x, 'admin');
  const old = await call(t.url, 'POST', '/v1/api-keys', { session: x.owner, body: { name: 'Old deploy key', scopes: ['events:write'] } });
  expect((await call(t.url, 'DELETE', `/v1/api-keys/${old.body.id}`, { session: x.owner })).status).toBe(204);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Every row action in a table: their Mantine variant and colour. */
const actionStyles = (page: Page, table: string) =>
  page
    .getByRole('table', { name: table })
    .locator('tbody button')
    .evaluateAll((els) => [...new Set(els.map((e) => `${e.getAttribute('data-variant')}`))]);

describe.each(VIEWPORTS)('on a $name', (vp) => {
  const at = pageAt(() => ({ browser, baseUrl: t.url, cookie: x.owner.cookie }), vp);
  let page: Page;
  beforeEach(() => {
    page = at.page;
  });

  it('lists members once each, locks the owner’s own role, and lists pending invitations with a revoke button', async () => {
    const invitee = `pending-${vp.name}@people.test`;
    expect((await call(t.url, 'POST', '/v1/members/invitations', { session: x.owner, body: { email: invitee, role: 'member', workspace_ids: [] } })).status).toBe(201);
    await page.goto(`${t.url}/members`);
    const me = page.getByTestId('member-row').filter({ hasText: x.email });
    await me.waitFor();
    // The email once (no name was given), marked as you.
    expect((await me.locator('td').first().innerText()).split(x.email).length - 1).toBe(1);
    expect(await me.locator('td').first().innerText()).toContain('(you)');
    expect(await me.locator(`input[aria-label="Role of ${x.email}"]`).isDisabled()).toBe(true);
    const invitation = page.getByTestId('invitation-row').filter({ hasText: invitee });
    await invitation.waitFor();
    expect(await actionStyles(page, 'Members')).toEqual(['light']);
    await page.screenshot({ path: join(SCREENSHOTS, `members-${vp.name}.png`), fullPage: true });
    await invitation.getByRole('button', { name: `Revoke invitation for ${invitee}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke invitation' }).click();
    await invitation.waitFor({ state: 'detached' });
    const left = (await call(t.url, 'GET', '/v1/members', { session: x.owner })).body.invitations as { email: string }[];
    expect(left.map((i) => i.email)).not.toContain(invitee);
  });

  it('lists revoked keys with when and by whom, with the same row actions', async () => {
    await page.goto(`${t.url}/api-keys`);
    const revoked = page.getByTestId('key-row').filter({ hasText: 'Old deploy key' });
    await revoked.getByTestId('revoked-by').waitFor();
    expect(await revoked.innerText()).toMatch(/revoked \d/i);
    expect(await revoked.getByTestId('revoked-by').innerText()).toBe(`by ${x.email}`);
    expect(await actionStyles(page, 'API keys')).toEqual(['light']);
    await page.screenshot({ path: join(SCREENSHOTS, `api-keys-${vp.name}.png`), fullPage: true });
  });
});
