import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import {
  type ApiUnderTest,
  call,
  createTenant,
  type DnsServer,
  type OidcProvider,
  type SamlIdp,
  spawnApi,
  startDnsServer,
  startOidcProvider,
  startSamlIdp,
} from '@audit-trail/testing';
import { generate } from 'otplib';
import { launch, SCREENSHOTS } from './browser';

// Single sign-on in Chromium: an admin sets up SAML and a domain on the
// Security page; people use "Continue with SSO" and come back signed in,
// through a SAML IdP and an OpenID Provider started on loopback.
let api: ApiUnderTest;
let dns: DnsServer;
let idp: SamlIdp;
let op: OidcProvider;
let browser: Browser;
const CLIENT = { client_id: 'web-e2e', client_secret: `secret-${randomUUID()}` };

beforeAll(async () => {
  dns = await startDnsServer();
  idp = await startSamlIdp();
  api = await spawnApi({
    SSO_ALLOW_PRIVATE: 'true',
    DNS_SERVERS: dns.address,
    QUEUE_PREFIX: `test-websso-${randomUUID().slice(0, 8)}`,
    WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist'),
  });
  op = await startOidcProvider([{ ...CLIENT, redirect_uris: [`${api.url}/v1/sso/oidc/callback`] }]);
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await op?.close();
  await idp?.close();
  await dns?.close();
});

const domainOf = (label: string) => `${label}-${randomUUID().slice(0, 8)}.test`;
const whoAmI = (page: Page) => page.evaluate(async () => ((await (await fetch('/v1/account')).json()) as { me: { email: string; role: string } }).me);

async function continueWithSso(page: Page, email: string) {
  await page.goto(`${api.url}/login`);
  await page.getByRole('button', { name: 'Continue with SSO' }).click();
  await page.getByLabel('Work email').fill(email);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
}

it('sets up SAML and a domain on the Security page; "Continue with SSO" signs a new person in', async () => {
  const x = await createTenant(api, 'enterprise', 'Console SSO Co');
  const domain = domainOf('console');
  const admin = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  admin.setDefaultTimeout(20_000);
  await admin.goto(`${api.url}/login`);
  await admin.getByLabel('Email').fill(x.email);
  await admin.locator('input[name=password]').fill(x.password);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await admin.getByRole('link', { name: 'Security' }).click();
  await admin.getByRole('heading', { name: 'Single sign-on' }).waitFor();

  await admin.getByText('SAML 2.0').click();
  await admin.getByText(`${api.url}/v1/sso/saml/${x.accountId}/acs`).waitFor();
  await admin.getByLabel('Identity provider issuer (entity ID)').fill(idp.entityId);
  await admin.getByLabel('Identity provider sign-in URL').fill(idp.ssoUrl);
  await admin.getByLabel('Signing certificate').fill(idp.certificate);
  await admin.getByRole('combobox', { name: 'Role for people who sign in for the first time' }).click();
  await admin.getByRole('option', { name: 'Admin' }).click();
  await admin.getByRole('button', { name: 'Save connection' }).click();
  await admin.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

  await admin.getByRole('textbox', { name: 'Domain' }).fill(domain);
  await admin.getByRole('button', { name: 'Add domain' }).click();
  const row = admin.getByTestId('sso-domain-row').filter({ hasText: domain });
  await row.getByText('Waiting for DNS').waitFor();
  // Verify before the record exists: the page says what to publish.
  await row.getByRole('button', { name: 'Verify' }).click();
  await row.getByRole('alert').filter({ hasText: 'No TXT record' }).waitFor();
  const name = ((await row.locator('code').nth(0).textContent()) ?? '').trim();
  const value = ((await row.locator('code').nth(1).textContent()) ?? '').trim();
  expect(name).toBe(`_audit-trail-verification.${domain}`);
  dns.txt.set(name, [value]);
  await row.getByRole('button', { name: 'Verify' }).click();
  await row.getByText('Verified').waitFor();
  await admin.screenshot({ path: join(SCREENSHOTS, 'sso-settings.png'), fullPage: true });

  // A colleague who has never been here.
  const email = `nora@${domain}`;
  const ctx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  await continueWithSso(page, email);
  await page.getByRole('heading', { name: 'Test IdP' }).waitFor();
  expect(page.url().startsWith(idp.ssoUrl)).toBe(true);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.origin === api.url && !u.pathname.startsWith('/login') && !u.pathname.startsWith('/v1/'));
  expect(await whoAmI(page)).toMatchObject({ email, role: 'admin' });
  await page.getByRole('link', { name: 'Audit log' }).first().waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'sso-signed-in.png') });
  await ctx.close();

  const logins = await call(api.url, 'GET', `/v1/events?action=auth.login&actor_email=${encodeURIComponent(email)}`, { key: x.key });
  expect(logins.body.entries[0].metadata).toMatchObject({ method: 'sso', protocol: 'saml', just_in_time: true });
  await admin.close();
});

it('sends a member whose account requires SSO from the password form to their OpenID Provider, and shows a failed return', async () => {
  const x = await createTenant(api, 'enterprise', 'OIDC Console Co');
  const domain = domainOf('oidc-console');
  expect((await call(api.url, 'PUT', '/v1/sso/connection', { key: x.key, body: { protocol: 'oidc', issuer: op.issuer, ...CLIENT } })).status).toBe(200);
  const added = await call(api.url, 'POST', '/v1/sso/domains', { key: x.key, body: { domain } });
  dns.txt.set(added.body.txt_name, [added.body.txt_value]);
  expect((await call(api.url, 'POST', `/v1/sso/domains/${added.body.id}/verify`, { key: x.key })).status).toBe(200);
  // A member who joined with a password before SSO was required.
  const email = `olga@${domain}`;
  const inv = await call(api.url, 'POST', '/v1/members/invitations', { session: x.owner, body: { email, role: 'member', workspace_ids: [] } });
  expect((await call(api.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { name: 'Olga', password: 'olga password 123' } })).status).toBe(201);
  // "SSO required" needs the owner's second factor: turned on through the API here.
  const setup = await call(api.url, 'POST', '/v1/auth/mfa/totp/setup', { session: x.owner });
  await call(api.url, 'POST', '/v1/auth/mfa/totp/enable', { session: x.owner, body: { code: await generate({ secret: setup.body.secret }) } });
  expect((await call(api.url, 'PATCH', '/v1/security', { key: x.key, body: { require_sso: true } })).status).toBe(200);

  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  page.setDefaultTimeout(20_000);
  await page.goto(`${api.url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.locator('input[name=password]').fill('olga password 123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The right password is refused (403 sso-required), and the form turns into "Continue with SSO" with the email kept.
  await page.getByRole('alert').filter({ hasText: 'requires single sign-on' }).waitFor();
  await page.getByLabel('Work email').waitFor();
  expect(await page.getByLabel('Work email').inputValue()).toBe(email);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  // The provider's own sign-in form.
  await page.locator('input[name=login]').waitFor();
  expect(page.url().startsWith(op.issuer)).toBe(true);
  await page.locator('input[name=login]').fill(email);
  await page.locator('input[name=password]').fill('anything');
  await page.locator('button[type=submit]').click();
  await page.waitForURL((u) => u.origin === api.url && !u.pathname.startsWith('/login') && !u.pathname.startsWith('/v1/'));
  expect(await whoAmI(page)).toMatchObject({ email, role: 'member' });

  // A return that cannot be finished (here: a state nobody started) lands on the sign-in page with the reason.
  const other = await browser.newPage();
  await other.goto(`${api.url}/v1/sso/oidc/callback?code=x&state=${randomUUID()}`);
  await other.waitForURL(/\/login\?sso_error=/);
  await other.getByRole('alert').filter({ hasText: 'Single sign-on did not finish' }).waitFor();
  await other.screenshot({ path: join(SCREENSHOTS, 'sso-error.png') });
  await other.close();
  await page.close();
});
