import { generate } from 'otplib';
import { randomUUID } from 'node:crypto';
import { addMember, call, createTenant, login, ownerClient, type Session, sessionFrom, type SmtpReceiver, startApp, startSmtpReceiver, type Tenant, type TestApp } from './harness';

// Two-factor sign-in (TOTP), password reset by email, and a person's sessions:
// against the real API, PostgreSQL, Redis and an SMTP server on loopback.
let t: TestApp;
let smtp: SmtpReceiver;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  t = await startApp({ SMTP_URL: smtp.url, QUEUE_PREFIX: `test-identity-${randomUUID().slice(0, 8)}` });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

/** A code for the time step `ahead` steps from now (the step a sign-in just used cannot be used again). */
const code = (secret: string, ahead = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + ahead * 30 });
const log = async (x: Tenant, qs: string) => (await call(t.url, 'GET', `/v1/events?${qs}`, { key: x.key })).body.entries as Record<string, any>[];

/** Turn two-factor on for the tenant's owner; the secret and recovery codes. */
async function enableTotp(x: Tenant, session: Session = x.owner) {
  const setup = await call(t.url, 'POST', '/v1/auth/mfa/totp/setup', { session });
  expect(setup.status).toBe(200);
  const enable = await call(t.url, 'POST', '/v1/auth/mfa/totp/enable', { session, body: { code: await code(setup.body.secret) } });
  expect(enable.status).toBe(200);
  return { secret: setup.body.secret as string, recovery: enable.body.recovery_codes as string[] };
}

describe('two-factor sign-in (TOTP)', () => {
  it('is set up with a secret, an otpauth URL and a QR code, confirmed by a code, and gives ten one-use recovery codes', async () => {
    const x = await createTenant(t, 'premium', 'Two Factor Co');
    const setup = await call(t.url, 'POST', '/v1/auth/mfa/totp/setup', { session: x.owner });
    expect(setup.status).toBe(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(setup.body.otpauth_url).toMatch(new RegExp(`^otpauth://totp/Audit%20Trail:${encodeURIComponent(x.email)}\\?secret=${setup.body.secret}.*issuer=Audit%20Trail`));
    expect(setup.body.qr_code).toMatch(/^data:image\/png;base64,/);
    // A wrong code does not turn it on.
    const wrong = await call(t.url, 'POST', '/v1/auth/mfa/totp/enable', { session: x.owner, body: { code: '000000' === (await code(setup.body.secret)) ? '111111' : '000000' } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors[0].path).toBe('code');
    expect((await call(t.url, 'POST', '/v1/auth/mfa/totp/enable', { session: x.owner, body: { code: 'abcdef' } })).status).toBe(422);
    const enable = await call(t.url, 'POST', '/v1/auth/mfa/totp/enable', { session: x.owner, body: { code: await code(setup.body.secret) } });
    expect(enable.status).toBe(200);
    expect(enable.body.recovery_codes).toHaveLength(10);
    expect(new Set(enable.body.recovery_codes).size).toBe(10);
    expect((await call(t.url, 'POST', '/v1/auth/mfa/totp/setup', { session: x.owner })).status).toBe(409);
    expect((await call(t.url, 'GET', '/v1/account', { session: x.owner })).body.me.mfa_enabled).toBe(true);
    // Stored encrypted and hashed: neither the secret nor a recovery code is in the database as given.
    const db = await ownerClient();
    try {
      const row = (await db.query('SELECT totp_secret, totp_pending_secret FROM users WHERE id = $1', [x.userId])).rows[0];
      expect(row.totp_secret).toMatch(/^v1\./);
      expect(row.totp_secret).not.toContain(setup.body.secret);
      expect(row.totp_pending_secret).toBeNull();
      const codes = (await db.query('SELECT encode(code_hash, $2) AS h FROM recovery_codes WHERE user_id = $1', [x.userId, 'escape'])).rows.map((r) => r.h as string);
      expect(codes).toHaveLength(10);
      for (const c of enable.body.recovery_codes) expect(codes.join(' ')).not.toContain(c);
    } finally {
      await db.end();
    }
    const enabled = await log(x, 'action=mfa.enabled');
    expect(enabled).toHaveLength(1);
    expect(enabled[0]).toMatchObject({ actor_type: 'user', actor_id: x.userId, source: 'platform' });
    expect(JSON.stringify(enabled[0])).not.toContain(setup.body.secret);
  });

  it('makes the password alone not enough: 401 mfa-required, then a code signs in once and never again', async () => {
    const x = await createTenant(t, 'premium', 'Sign In Co');
    const { secret, recovery } = await enableTotp(x);
    // A wrong password says nothing about two-factor.
    const wrongPassword = await login(t, x.email, 'not the password');
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body.type).not.toMatch(/mfa-required$/);
    const noCode = await login(t, x.email, x.password);
    expect(noCode.status).toBe(401);
    expect(noCode.body.type).toMatch(/\/mfa-required$/);
    expect(noCode.headers.getSetCookie()).toEqual([]);
    // The step the enable used is spent: the next step's code signs in, once.
    const next = await code(secret, 1);
    const ok = await call(t.url, 'POST', '/v1/auth/login', { body: { email: x.email, password: x.password, totp: next } });
    expect(ok.status).toBe(200);
    const replay = await call(t.url, 'POST', '/v1/auth/login', { body: { email: x.email, password: x.password, totp: next } });
    expect(replay.status).toBe(401);
    expect(replay.body.type).not.toMatch(/mfa-required$/);
    // A recovery code signs in once too.
    const withRecovery = await call(t.url, 'POST', '/v1/auth/login', { body: { email: x.email, password: x.password, recovery_code: recovery[0].toUpperCase() } });
    expect(withRecovery.status).toBe(200);
    expect((await call(t.url, 'POST', '/v1/auth/login', { body: { email: x.email, password: x.password, recovery_code: recovery[0] } })).status).toBe(401);
    const logins = (await log(x, 'action=auth.login')).map((e) => e.metadata);
    expect(logins).toEqual(expect.arrayContaining([expect.objectContaining({ method: 'password', second_factor: 'totp' }), expect.objectContaining({ method: 'recovery_code', second_factor: 'recovery_code', recovery_codes_left: 9 })]));
    const failed = await log(x, 'action=auth.mfa_failed');
    expect(failed.length).toBe(2);
    expect(failed[0].outcome).toBe('failure');
    for (const e of [...failed, ...(await log(x, 'action=auth.login'))]) {
      expect(JSON.stringify(e)).not.toContain(next);
      expect(JSON.stringify(e)).not.toContain(recovery[0]);
    }
  });

  it('limits wrong codes per person: past five, even the right code waits (429 with Retry-After)', async () => {
    const x = await createTenant(t, 'premium', 'Limited Co');
    const { secret } = await enableTotp(x);
    const right = await code(secret, 1);
    const wrong = right === '123456' ? '654321' : '123456';
    for (let i = 0; i < 5; i++) expect((await call(t.url, 'POST', '/v1/auth/login', { body: { email: x.email, password: x.password, totp: wrong } })).status).toBe(401);
    const limited = await call(t.url, 'POST', '/v1/auth/login', { body: { email: x.email, password: x.password, totp: right } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another person is not affected.
    const y = await createTenant(t, 'premium', 'Unlimited Co');
    expect((await login(t, y.email, y.password)).status).toBe(200);
  });

  it('is turned off only with a code, and an invitation to another account asks an existing login for its code too', async () => {
    const x = await createTenant(t, 'premium', 'Off Co');
    const { secret, recovery } = await enableTotp(x);
    expect((await call(t.url, 'POST', '/v1/auth/mfa/totp/disable', { session: x.owner, body: {} })).status).toBe(422);
    expect((await call(t.url, 'POST', '/v1/auth/mfa/totp/disable', { session: x.owner, body: { recovery_code: 'aaaa-bbbb-cccc' } })).status).toBe(422);
    // Joining another account with this login needs the second factor as well.
    const other = await createTenant(t, 'premium', 'Inviting Co');
    const inv = await call(t.url, 'POST', '/v1/members/invitations', { session: other.owner, body: { email: x.email, role: 'admin' } });
    const accept = (body: Record<string, unknown>) => call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body });
    expect((await accept({ password: x.password })).body.type).toMatch(/\/mfa-required$/);
    expect((await accept({ password: x.password, totp: await code(secret, 1) })).status).toBe(201);
    expect((await call(t.url, 'POST', '/v1/auth/mfa/totp/disable', { session: x.owner, body: { recovery_code: recovery[3] } })).status).toBe(204);
    expect((await login(t, x.email, x.password)).status).toBe(200);
    const off = await log(x, 'action=mfa.disabled');
    expect(off[0].metadata).toEqual({ confirmed_with: 'recovery_code' });
  });

  it('can be required of a whole account: people without it may only set it up; API keys are unaffected', async () => {
    const x = await createTenant(t, 'premium', 'Required Co');
    const member = await addMember(t, x, 'admin');
    // Whoever requires it from the console has it already.
    expect((await call(t.url, 'PATCH', '/v1/security', { session: x.owner, body: { require_mfa: true } })).status).toBe(409);
    await enableTotp(x);
    const on = await call(t.url, 'PATCH', '/v1/security', { session: x.owner, body: { require_mfa: true } });
    expect(on.status).toBe(200);
    expect((await call(t.url, 'GET', '/v1/security', { key: x.key })).body).toEqual({ require_mfa: true, require_sso: false });
    const blocked = await call(t.url, 'GET', '/v1/events', { session: member.session });
    expect(blocked.status).toBe(403);
    expect(blocked.body.type).toMatch(/\/mfa-setup-required$/);
    expect((await call(t.url, 'GET', '/v1/account', { session: member.session })).body.me.mfa_setup_required).toBe(true);
    expect((await call(t.url, 'GET', '/v1/events', { key: x.key })).status).toBe(200);
    await enableTotp(x, member.session);
    expect((await call(t.url, 'GET', '/v1/events', { session: member.session })).status).toBe(200);
    // While it is required, nobody turns their own off.
    const recovery = (await call(t.url, 'POST', '/v1/auth/mfa/totp/disable', { session: member.session, body: { recovery_code: 'zzzz-zzzz-zzzz' } }));
    expect(recovery.status).toBe(409);
    const changes = await log(x, 'action=mfa.required_enabled');
    expect(changes[0]).toMatchObject({ actor_id: x.userId, changes: { before: { require_mfa: false }, after: { require_mfa: true } } });
    // Members cannot change it; another tenant's settings are its own.
    const plain = await addMember(t, x, 'member');
    expect((await call(t.url, 'PATCH', '/v1/security', { session: plain.session, body: { require_mfa: false } })).status).toBe(403);
    const y = await createTenant(t, 'premium', 'Other Co');
    expect((await call(t.url, 'GET', '/v1/security', { key: y.key })).body).toEqual({ require_mfa: false, require_sso: false });
    expect((await call(t.url, 'PATCH', '/v1/security', { key: x.key, body: { require_mfa: 'yes' } })).status).toBe(422);
  });
});

describe('password reset by email', () => {
  it('mails a one-use link that ends every session, and answers an unknown email exactly the same', async () => {
    const x = await createTenant(t, 'premium', 'Reset Co');
    const second = sessionFrom(await login(t, x.email, x.password));
    const asked = await call(t.url, 'POST', '/v1/auth/password-reset', { body: { email: x.email.toUpperCase() } });
    const unknown = await call(t.url, 'POST', '/v1/auth/password-reset', { body: { email: `nobody-${randomUUID()}@example.test` } });
    expect([asked.status, asked.text]).toEqual([202, '{}']);
    expect([unknown.status, unknown.text]).toEqual([asked.status, asked.text]);
    const mail = await smtp.waitFor(x.email);
    expect(mail.subject).toContain('Reset your Audit Trail password');
    const token = /\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1] as string;
    expect(token).toBeTruthy();
    expect((await call(t.url, 'POST', '/v1/auth/password-reset/complete', { body: { token, password: 'short' } })).status).toBe(422);
    const done = await call(t.url, 'POST', '/v1/auth/password-reset/complete', { body: { token, password: 'a brand new password' } });
    expect(done.status).toBe(200);
    expect(done.body.sessions_ended).toBeGreaterThanOrEqual(2);
    for (const s of [x.owner, second]) expect((await call(t.url, 'GET', '/v1/account', { session: s })).status).toBe(401);
    expect((await login(t, x.email, x.password)).status).toBe(401);
    expect((await login(t, x.email, 'a brand new password')).status).toBe(200);
    const again = await call(t.url, 'POST', '/v1/auth/password-reset/complete', { body: { token, password: 'another new password' } });
    expect(again.status).toBe(422);
    expect(again.body.errors[0].path).toBe('token');
    const requested = await log(x, 'action=auth.password_reset_requested');
    const completed = await log(x, 'action=auth.password_reset_completed');
    expect(requested).toHaveLength(1);
    expect(completed[0]).toMatchObject({ actor_id: x.userId, metadata: { sessions_ended: done.body.sessions_ended } });
    for (const e of [...requested, ...completed]) expect(JSON.stringify(e)).not.toContain(token);
  });

  it('spends every outstanding link of a person when one is used, and refuses a link after 30 minutes', async () => {
    const x = await createTenant(t, 'premium', 'Expiry Co');
    const links = async (n: number) => {
      const end = Date.now() + 10_000;
      while (smtp.mails.filter((m) => m.to.includes(x.email)).length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      return smtp.mails.filter((m) => m.to.includes(x.email)).map((m) => /token=([A-Za-z0-9_-]+)/.exec(m.text)?.[1] as string);
    };
    await call(t.url, 'POST', '/v1/auth/password-reset', { body: { email: x.email } });
    await call(t.url, 'POST', '/v1/auth/password-reset', { body: { email: x.email } });
    const [first, second] = await links(2);
    expect(first).not.toBe(second);
    expect((await call(t.url, 'POST', '/v1/auth/password-reset/complete', { body: { token: second, password: 'a brand new password' } })).status).toBe(200);
    expect((await call(t.url, 'POST', '/v1/auth/password-reset/complete', { body: { token: first, password: 'yet another password' } })).status).toBe(422);
    // A fresh link, aged past its 30 minutes, no longer works.
    await call(t.url, 'POST', '/v1/auth/password-reset', { body: { email: x.email } });
    const third = (await links(3))[2];
    const db = await ownerClient();
    try {
      await db.query(`UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND used_at IS NULL`, [x.userId]);
    } finally {
      await db.end();
    }
    expect((await call(t.url, 'POST', '/v1/auth/password-reset/complete', { body: { token: third, password: 'yet another password' } })).status).toBe(422);
    expect((await login(t, x.email, 'a brand new password')).status).toBe(200);
  });

  it('emails invitations too', async () => {
    const x = await createTenant(t, 'premium', 'Invite Mail Co');
    const email = `invitee-${randomUUID().slice(0, 8)}@example.test`;
    const inv = await call(t.url, 'POST', '/v1/members/invitations', { session: x.owner, body: { email, role: 'member' } });
    expect(inv.status).toBe(201);
    expect(inv.body.emailed).toBe(true);
    const mail = await smtp.waitFor(email);
    expect(mail.subject).toContain('Invite Mail Co');
    expect(mail.text).toContain(`/invitations/${inv.body.token}`);
  });
});

describe('sessions', () => {
  it('lists a person’s sessions with device and address, and ends one (only their own)', async () => {
    const x = await createTenant(t, 'premium', 'Sessions Co');
    const laptop = sessionFrom(await call(t.url, 'POST', '/v1/auth/login', { body: { email: x.email, password: x.password }, headers: { 'user-agent': 'Laptop/1.0' } }));
    const list = await call(t.url, 'GET', '/v1/auth/sessions', { session: x.owner });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(2);
    expect(list.body.data.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    const other = list.body.data.find((s: { user_agent: string }) => s.user_agent === 'Laptop/1.0');
    expect(other).toMatchObject({ account_id: x.accountId, account_name: 'Sessions Co', ip: '127.0.0.1', current: false });
    // Someone else cannot end it; its owner can.
    const y = await createTenant(t, 'premium', 'Other Sessions Co');
    expect((await call(t.url, 'DELETE', `/v1/auth/sessions/${other.id}`, { session: y.owner })).status).toBe(404);
    expect((await call(t.url, 'DELETE', `/v1/auth/sessions/${other.id}`, { session: x.owner })).status).toBe(204);
    expect((await call(t.url, 'GET', '/v1/account', { session: laptop })).status).toBe(401);
    expect((await call(t.url, 'GET', '/v1/account', { session: x.owner })).status).toBe(200);
    expect((await log(x, 'action=session.revoked'))[0]).toMatchObject({ actor_id: x.userId, target_type: 'session', target_id: other.id });
    // An API key has no sessions.
    expect((await call(t.url, 'GET', '/v1/auth/sessions', { key: x.key })).status).toBe(403);
  });

  it("lets an admin end a member's sessions in the account; another account's member is 404", async () => {
    const x = await createTenant(t, 'premium', 'Admin Ends Co');
    const member = await addMember(t, x, 'member');
    const members = (await call(t.url, 'GET', '/v1/members', { session: x.owner })).body.data as { id: string; user_id: string }[];
    const membership = members.find((m) => m.user_id === member.userId) as { id: string };
    const ended = await call(t.url, 'DELETE', `/v1/members/${membership.id}/sessions`, { session: x.owner });
    expect(ended.status).toBe(200);
    expect(ended.body.sessions_ended).toBe(1);
    expect((await call(t.url, 'GET', '/v1/account', { session: member.session })).status).toBe(401);
    const y = await createTenant(t, 'premium', 'Foreign Co');
    expect((await call(t.url, 'DELETE', `/v1/members/${membership.id}/sessions`, { session: y.owner })).status).toBe(404);
    expect((await call(t.url, 'DELETE', `/v1/members/${membership.id}/sessions`, { session: member.session })).status).toBe(401);
  });
});
