import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { type ApiUnderTest, call, createTenant, type SmtpReceiver, spawnApi, startSmtpReceiver, type Tenant } from '@audit-trail/testing';
import { launch, SCREENSHOTS } from './browser';

// Two-factor set-up and the sign-in prompt, sessions, the two-factor
// requirement and password reset, in Chromium against the built API and a
// real SMTP server on loopback.
let api: ApiUnderTest;
let smtp: SmtpReceiver;
let browser: Browser;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  api = await spawnApi({ SMTP_URL: smtp.url, QUEUE_PREFIX: `test-webid-${randomUUID().slice(0, 8)}`, WEB_DIST: process.env.WEB_DIST ?? join(__dirname, '..', 'dist') });
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await smtp?.close();
});

async function signIn(page: Page, x: Tenant, password = x.password) {
  await page.goto(`${api.url}/login`);
  await page.getByLabel('Email').fill(x.email);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const code = (secret: string, ahead = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + ahead * 30 });

it('sets up two-factor from the Account page, then signs in with the code the prompt asks for', async () => {
  const x = await createTenant(api, 'premium', 'Console 2FA Co');
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  page.setDefaultTimeout(20_000);
  await signIn(page, x);
  await page.getByRole('link', { name: 'Your account' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.getByRole('button', { name: 'Set up two-factor' }).click();
  await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').trim();
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
  await page.screenshot({ path: join(SCREENSHOTS, 'two-factor-setup.png') });
  await page.getByLabel('Code from the app').fill(await code(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codes = page.getByTestId('recovery-codes');
  await codes.waitFor();
  expect(await codes.locator('code').count()).toBe(10);
  await page.getByRole('button', { name: 'I saved them' }).click();
  await page.getByText('Signing in asks for a code').waitFor();
  // Sessions: this one is marked.
  await page.getByTestId('session-row').filter({ hasText: 'This session' }).waitFor();

  // Sign out, and in again: the password, then the code.
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.waitForURL(/\/login/);
  await signIn(page, x);
  const prompt = page.getByLabel('Authentication code');
  await prompt.waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'two-factor-prompt.png') });
  await prompt.fill(await code(secret, 1));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Audit Log' }).waitFor();
  const logins = (await call(api.url, 'GET', '/v1/events?action=auth.login', { key: x.key })).body.entries as { metadata: { second_factor: string | null } }[];
  expect(logins[0].metadata.second_factor).toBe('totp');
  await page.close();
});

it('walks a member without two-factor through set-up when the account requires it', async () => {
  const x = await createTenant(api, 'premium', 'Required Console Co');
  const setup = await call(api.url, 'POST', '/v1/auth/mfa/totp/setup', { session: x.owner });
  await call(api.url, 'POST', '/v1/auth/mfa/totp/enable', { session: x.owner, body: { code: await code(setup.body.secret) } });
  // The owner turns the requirement on from the Security page.
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  page.setDefaultTimeout(20_000);
  await signIn(page, x);
  await page.getByLabel('Authentication code').fill(await code(setup.body.secret, 1));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Security' }).click();
  // The switch follows the saved setting: it shows on once the API has said so.
  await page.getByRole('switch', { name: 'Require two-factor sign-in of everyone' }).click({ force: true });
  await page.getByRole('switch', { name: 'Require two-factor sign-in of everyone', checked: true }).waitFor({ state: 'attached' });
  for (let i = 0; i < 50 && !(await call(api.url, 'GET', '/v1/security', { key: x.key })).body.require_mfa; i++) await new Promise((r) => setTimeout(r, 100));
  expect((await call(api.url, 'GET', '/v1/security', { key: x.key })).body.require_mfa).toBe(true);
  await page.close();
  // A new admin signs in and sees only the set-up screen.
  const email = `admin-${randomUUID().slice(0, 8)}@example.test`;
  const inv = await call(api.url, 'POST', '/v1/members/invitations', { session: x.owner, body: { email, role: 'admin' } });
  await call(api.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { name: 'New Admin', password: 'a good long password' } });
  const member = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  member.setDefaultTimeout(20_000);
  await signIn(member, { ...x, email, password: 'a good long password' });
  await member.getByRole('heading', { name: 'Set up two-factor sign-in' }).waitFor();
  expect(await member.getByRole('link', { name: 'Audit Log' }).count()).toBe(0);
  await member.getByRole('button', { name: 'Set up two-factor' }).click();
  const secret = ((await member.getByTestId('totp-secret').textContent()) ?? '').trim();
  await member.getByLabel('Code from the app').fill(await code(secret));
  await member.getByRole('button', { name: 'Turn on' }).click();
  await member.getByRole('button', { name: 'I saved them' }).click();
  await member.getByRole('heading', { name: 'Audit Log' }).waitFor();
  await member.close();
});

it('resets a forgotten password with the emailed link', async () => {
  const x = await createTenant(api, 'premium', 'Forgot Co');
  const page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${api.url}/login`);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  const form = page.getByRole('form', { name: 'Reset your password' });
  await form.getByRole('heading', { name: 'Reset your password' }).waitFor();
  await form.getByLabel('Email').fill(x.email);
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await page.getByText('Check your email').waitFor();
  const link = /(http\S+\/reset-password\?token=[A-Za-z0-9_-]+)/.exec((await smtp.waitFor(x.email)).text)?.[1] as string;
  expect(link.startsWith(`${api.url}/reset-password`)).toBe(true);
  await page.goto(link);
  await page.locator('input[name=password]').fill('a completely new password');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByText('Password changed').waitFor();
  await signIn(page, x, 'a completely new password');
  await page.getByRole('heading', { name: 'Audit Log' }).waitFor();
  await page.close();
});

it('creates a SCIM token on the Security page and maps a pushed group to a role', async () => {
  const x = await createTenant(api, 'enterprise', 'SCIM Console Co');
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  page.setDefaultTimeout(20_000);
  await signIn(page, x);
  await page.getByRole('link', { name: 'Security' }).click();
  const form = page.getByRole('form', { name: 'Create a SCIM token' });
  await form.getByLabel('Token name').fill('Okta');
  await form.getByRole('button', { name: 'Create token' }).click();
  const token = ((await page.getByTestId('scim-token').textContent()) ?? '').trim();
  expect(token).toMatch(/^scim_/);
  await page.getByTestId('scim-token-row').filter({ hasText: 'Okta' }).waitFor();
  // The identity provider pushes a person and a group with that token.
  const scim = (method: string, path: string, body: unknown) => call(api.url, method, `/scim/v2${path}`, { key: token, raw: JSON.stringify(body), headers: { 'content-type': 'application/scim+json' } });
  const person = (await scim('POST', '/Users', { userName: `pushed-${randomUUID().slice(0, 8)}@example.test`, name: { formatted: 'Pushed Person' } })).body.id as string;
  expect((await scim('POST', '/Groups', { displayName: 'Audit Admins', members: [{ value: person }] })).status).toBe(201);
  await page.reload();
  const row = page.getByTestId('scim-group-row').filter({ hasText: 'Audit Admins' });
  await row.getByLabel('Role for Audit Admins', { exact: true }).click();
  await page.getByRole('option', { name: 'Admin', exact: true }).click();
  await row.getByRole('button', { name: 'Save' }).click();
  for (let i = 0; i < 50; i++) {
    const m = ((await call(api.url, 'GET', '/v1/members', { key: x.key })).body.data as { id: string; role: string }[]).find((r) => r.id === person);
    if (m?.role === 'admin') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(((await call(api.url, 'GET', '/v1/members', { key: x.key })).body.data as { id: string; role: string }[]).find((r) => r.id === person)?.role).toBe('admin');
  await page.screenshot({ path: join(SCREENSHOTS, 'security-scim.png'), fullPage: true });
  await page.close();
});
