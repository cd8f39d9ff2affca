import { generate } from 'otplib';
import { randomUUID } from 'node:crypto';
import {
  addMember,
  call,
  createTenant,
  type DnsServer,
  login,
  type OidcProvider,
  ownerClient,
  type SamlIdp,
  type Session,
  startApp,
  startDnsServer,
  startOidcProvider,
  startSamlIdp,
  type Tenant,
  type TestApp,
} from './harness';

// Single sign-on against real identity providers on loopback: an OpenID
// Provider (oidc-provider, PKCE required) in its own process, a SAML 2.0 IdP
// (samlify signing the assertions), and a DNS server for domain proofs.
let t: TestApp;
let dns: DnsServer;
let op: OidcProvider;
let idp: SamlIdp;
const CLIENT = { client_id: `audit-trail-${randomUUID().slice(0, 8)}`, client_secret: `oidc-secret-${randomUUID()}` };

beforeAll(async () => {
  dns = await startDnsServer();
  idp = await startSamlIdp();
  t = await startApp({ SSO_ALLOW_PRIVATE: 'true', DNS_SERVERS: dns.address, QUEUE_PREFIX: `test-sso-${randomUUID().slice(0, 8)}` });
  op = await startOidcProvider([{ ...CLIENT, redirect_uris: [`${t.url}/v1/sso/oidc/callback`] }]);
});
afterAll(async () => {
  await t?.close();
  await op?.close();
  await idp?.close();
  await dns?.close();
});

const domainOf = (label: string) => `${label}-${randomUUID().slice(0, 8)}.test`;
const log = async (x: Tenant, qs: string) => (await call(t.url, 'GET', `/v1/events?${qs}`, { key: x.key })).body.entries as Record<string, any>[];
const code = (secret: string, ahead = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + ahead * 30 });

/** A browser for one person: cookies per host, redirects followed by hand so every hop can be checked. */
class Browser {
  readonly jar = new Map<string, Map<string, string>>();
  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).host)?.get(name);
  }
  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const host = new URL(url).host;
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    this.jar.set(host, cookies);
    const headers: Record<string, string> = { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const [name, ...value] = pair.split('=');
      const expired = attrs.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a)) || value.join('=') === '';
      if (expired) cookies.delete(name.trim());
      else cookies.set(name.trim(), value.join('='));
    }
    return res;
  }
  /** Follow redirects from `url` until one leaves for `stopAt` (returned, not followed) or an answer that is not a redirect. */
  async follow(url: string, stopAt?: string, init?: { form?: Record<string, string> }): Promise<{ res: Response; url: string }> {
    let res = await this.go(url, init);
    for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
      url = new URL(res.headers.get('location') as string, url).toString();
      if (stopAt && url.startsWith(stopAt)) return { res, url };
      res = await this.go(url);
    }
    return { res, url };
  }
  session(base: string): Session {
    return { cookie: `at_session=${this.cookie(base, 'at_session')}`, csrf: this.cookie(base, 'csrf_token') as string };
  }
}

/** Publish the domain's TXT record in our DNS and verify it. */
async function verifiedDomain(x: Tenant, domain: string) {
  const added = await call(t.url, 'POST', '/v1/sso/domains', { session: x.owner, body: { domain } });
  expect(added.status).toBe(201);
  dns.txt.set(added.body.txt_name, [added.body.txt_value]);
  const v = await call(t.url, 'POST', `/v1/sso/domains/${added.body.id}/verify`, { session: x.owner });
  expect(v.status).toBe(200);
  return added.body as { id: string; txt_name: string; txt_value: string };
}

async function oidcTenant(defaultRole: 'admin' | 'member' = 'member') {
  const x = await createTenant(t, 'enterprise', 'OIDC Co');
  const put = await call(t.url, 'PUT', '/v1/sso/connection', { session: x.owner, body: { protocol: 'oidc', issuer: op.issuer, client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, default_role: defaultRole } });
  expect(put.status).toBe(200);
  const domain = domainOf('oidc');
  await verifiedDomain(x, domain);
  return { x, domain };
}

/**
 * The whole OIDC round trip a browser makes: start → provider → its login
 * form (any login; the login is the email) → back to our callback. The
 * callback's answer is returned unfollowed.
 */
async function oidcSignIn(b: Browser, email: string, login = email) {
  const start = await b.go(`${t.url}/v1/sso/start?email=${encodeURIComponent(email)}`);
  expect(start.status).toBe(303);
  const authorize = new URL(start.headers.get('location') as string);
  expect(authorize.origin).toBe(op.issuer);
  const toInteraction = await b.follow(authorize.toString(), `${op.issuer}/interaction/`);
  const interaction = toInteraction.url;
  expect(interaction).toContain('/interaction/');
  // The provider's development login form: any login, any password.
  const back = await b.follow(interaction, `${t.url}/v1/sso/oidc/callback`, { form: { prompt: 'login', login, password: 'anything' } });
  expect(back.url.startsWith(`${t.url}/v1/sso/oidc/callback?`)).toBe(true);
  const callback = await b.go(back.url);
  return { authorize, callbackUrl: back.url, callback };
}

describe('OpenID Connect sign-in (oidc-provider, PKCE)', () => {
  it('signs a person of a verified domain in, with PKCE, and makes them a member just in time', async () => {
    const { x, domain } = await oidcTenant('member');
    const settings = await call(t.url, 'GET', '/v1/sso', { session: x.owner });
    expect(settings.status).toBe(200);
    expect(settings.body.connection).toMatchObject({ protocol: 'oidc', issuer: op.issuer, client_id: CLIENT.client_id, client_secret_set: true, default_role: 'member' });
    expect(settings.text).not.toContain(CLIENT.client_secret);
    expect(settings.body.service_provider.oidc_redirect_uri).toBe(`${t.url}/v1/sso/oidc/callback`);
    // Stored sealed: the secret is not in the database as given.
    const db = await ownerClient();
    try {
      const row = (await db.query('SELECT oidc_client_secret FROM sso_connections WHERE account_id = $1', [x.accountId])).rows[0];
      expect(row.oidc_client_secret).not.toContain(CLIENT.client_secret);
    } finally {
      await db.end();
    }

    const email = `alice@${domain}`;
    expect((await call(t.url, 'POST', '/v1/sso/discover', { body: { email } })).body).toEqual({ sso: true, protocol: 'oidc', start_url: `/v1/sso/start?email=${encodeURIComponent(email)}` });
    expect((await call(t.url, 'POST', '/v1/sso/discover', { body: { email: `alice@${domainOf('nobody')}` } })).body).toEqual({ sso: false });

    const b = new Browser();
    const { authorize, callback } = await oidcSignIn(b, email);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('login_hint')).toBe(email);
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe(`${t.url}/`);
    const me = await call(t.url, 'GET', '/v1/account', { session: b.session(t.url) });
    expect(me.status).toBe(200);
    expect(me.body.me).toMatchObject({ email, role: 'member' });

    const joined = await log(x, 'action=member.joined');
    expect(joined).toHaveLength(1);
    expect(joined[0]).toMatchObject({ actor_email: email, metadata: { via: 'sso', protocol: 'oidc', role: 'member', existing_login: false } });
    const logins = await log(x, `action=auth.login&actor_email=${encodeURIComponent(email)}`);
    expect(logins).toHaveLength(1);
    expect(logins[0].metadata).toMatchObject({ method: 'sso', protocol: 'oidc', just_in_time: true });
    expect(JSON.stringify(await log(x, 'limit=100'))).not.toContain(CLIENT.client_secret);

    // A second sign-in is a sign-in, not a second membership.
    const again = await oidcSignIn(new Browser(), email);
    expect(again.callback.headers.get('location')).toBe(`${t.url}/`);
    expect(await log(x, 'action=member.joined')).toHaveLength(1);
    expect((await log(x, `action=auth.login&actor_email=${encodeURIComponent(email)}`))[0].metadata.just_in_time).toBe(false);
  });

  it('refuses a replayed callback, a callback from another browser, a foreign domain and an unverified email', async () => {
    const { x, domain } = await oidcTenant();
    const failures = async () => (await log(x, 'action=auth.login_failed')).map((e) => e.metadata.reason as string);

    const b = new Browser();
    const first = await oidcSignIn(b, `dan@${domain}`);
    expect(first.callback.headers.get('location')).toBe(`${t.url}/`);
    // The same code and state again: the started sign-in was spent.
    const replay = await b.go(first.callbackUrl);
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toMatch(/\/login\?sso_error=/);
    expect(replay.headers.getSetCookie().some((c) => c.startsWith('at_session='))).toBe(false);

    // Started in one browser, finished in another (login CSRF): refused.
    const victim = new Browser();
    const attacker = new Browser();
    const start = await attacker.go(`${t.url}/v1/sso/start?email=${encodeURIComponent(`erin@${domain}`)}`);
    const back = await attacker.follow(start.headers.get('location') as string, `${op.issuer}/interaction/`);
    const cb = await attacker.follow(back.url, `${t.url}/v1/sso/oidc/callback`, { form: { prompt: 'login', login: `erin@${domain}`, password: 'x' } });
    expect(cb.url.startsWith(`${t.url}/v1/sso/oidc/callback?`)).toBe(true);
    const stolen = await victim.go(cb.url);
    expect(stolen.status).toBe(303);
    expect(stolen.headers.get('location')).toMatch(/\/login\?sso_error=/);
    expect(victim.cookie(t.url, 'at_session')).toBeUndefined();

    // The provider vouches for an address outside the account's verified domains.
    const foreign = await oidcSignIn(new Browser(), `frank@${domain}`, `frank@${domainOf('elsewhere')}`);
    expect(decodeURIComponent(foreign.callback.headers.get('location') as string)).toMatch(/is not a verified domain of this account/);
    // …or says the address is not verified.
    const unverified = await oidcSignIn(new Browser(), `gina@${domain}`, `unverified:gina@${domain}`);
    expect(decodeURIComponent(unverified.callback.headers.get('location') as string)).toMatch(/not verified/);

    // The replay (no live sign-in) says nothing; the others are in the account's log.
    expect((await failures()).sort()).toEqual(['domain_not_verified', 'email_not_verified', 'state_mismatch']);
    const members = await call(t.url, 'GET', '/v1/members', { session: x.owner });
    expect(members.body.data.map((m: { email: string }) => m.email).sort()).toEqual([`dan@${domain}`, x.email].sort());
  });

  it('checks the issuer when the connection is saved, and keeps the secret when it is not sent again', async () => {
    const x = await createTenant(t, 'enterprise', 'Typo Co');
    const before = await call(t.url, 'GET', '/v1/sso', { session: x.owner });
    const bad = await call(t.url, 'PUT', '/v1/sso/connection', { session: x.owner, body: { protocol: 'oidc', issuer: `${op.issuer}/nope`, client_id: 'c', client_secret: 's' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe('issuer');
    expect((await call(t.url, 'PUT', '/v1/sso/connection', { session: x.owner, body: { protocol: 'oidc', issuer: op.issuer, client_id: 'c' } })).status).toBe(422);
    expect((await call(t.url, 'PUT', '/v1/sso/connection', { session: x.owner, body: { protocol: 'ldap' } })).status).toBe(422);
    expect((await call(t.url, 'GET', '/v1/sso', { session: x.owner })).body).toEqual(before.body);
    expect(await log(x, 'action=sso.configured')).toHaveLength(0);

    expect((await call(t.url, 'PUT', '/v1/sso/connection', { session: x.owner, body: { protocol: 'oidc', issuer: op.issuer, client_id: CLIENT.client_id, client_secret: CLIENT.client_secret } })).status).toBe(200);
    const rename = await call(t.url, 'PUT', '/v1/sso/connection', { session: x.owner, body: { protocol: 'oidc', issuer: op.issuer, client_id: CLIENT.client_id, default_role: 'admin' } });
    expect(rename.status).toBe(200);
    expect(rename.body.connection).toMatchObject({ client_secret_set: true, default_role: 'admin' });
    const configured = await log(x, 'action=sso.configured');
    expect(configured).toHaveLength(2);
    expect(configured[0].changes).toMatchObject({ before: { default_role: 'member' }, after: { default_role: 'admin' } });
    expect(configured[0].metadata.client_key_changed).toBe(false);
    expect(configured[1].metadata.client_key_changed).toBe(true);
    expect(JSON.stringify(configured)).not.toContain(CLIENT.client_secret);
  });
});

describe('SAML 2.0 sign-in (node-saml against a samlify IdP)', () => {
  async function samlTenant() {
    const x = await createTenant(t, 'enterprise', 'SAML Co');
    const put = await call(t.url, 'PUT', '/v1/sso/connection', {
      session: x.owner,
      body: { protocol: 'saml', idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl, idp_certificate: idp.certificate, default_role: 'admin' },
    });
    expect(put.status).toBe(200);
    const domain = domainOf('saml');
    await verifiedDomain(x, domain);
    return { x, domain };
  }

  /** start → the IdP's redirect-binding endpoint → its signed answer; returns the browser and the form to post. */
  async function toIdp(b: Browser, email: string) {
    const start = await b.go(`${t.url}/v1/sso/start?email=${encodeURIComponent(email)}`);
    expect(start.status).toBe(303);
    const at = new URL(start.headers.get('location') as string);
    expect(`${at.origin}${at.pathname}`).toBe(idp.ssoUrl);
    expect((await b.go(at.toString())).status).toBe(200);
    return idp.answer(email, at.searchParams.get('RelayState') as string);
  }

  it('signs in with a signed assertion, as the default role; a replay, a forged signature and another account are refused', async () => {
    const { x, domain } = await samlTenant();
    const email = `hana@${domain}`;
    const metadata = await call(t.url, 'GET', `/v1/sso/saml/${x.accountId}/metadata`);
    expect(metadata.status).toBe(200);
    expect(metadata.text).toContain(`entityID="${t.url}/v1/sso/saml/${x.accountId}/metadata"`);
    expect(metadata.text).toContain(`Location="${t.url}/v1/sso/saml/${x.accountId}/acs"`);

    const b = new Browser();
    const answer = await toIdp(b, email);
    expect(idp.requests.at(-1)).toMatchObject({ issuer: `${t.url}/v1/sso/saml/${x.accountId}/metadata`, acs: `${t.url}/v1/sso/saml/${x.accountId}/acs` });
    const form = { SAMLResponse: answer.SAMLResponse, RelayState: answer.RelayState };
    const acs = await b.go(answer.acs, { form });
    expect(acs.status).toBe(303);
    expect(acs.headers.get('location')).toBe(`${t.url}/`);
    const me = await call(t.url, 'GET', '/v1/account', { session: b.session(t.url) });
    expect(me.body.me).toMatchObject({ email, role: 'admin' });
    expect((await log(x, `action=auth.login&actor_email=${encodeURIComponent(email)}`))[0].metadata).toMatchObject({ method: 'sso', protocol: 'saml', just_in_time: true, idp_subject: email });

    // The same assertion posted again signs nobody in.
    const replay = await b.go(answer.acs, { form });
    expect(replay.headers.get('location')).toMatch(/\/login\?sso_error=/);

    // Signed by a key the account never configured.
    idp.forge = true;
    try {
      const b2 = new Browser();
      const forged = await toIdp(b2, `ivan@${domain}`);
      const res = await b2.go(forged.acs, { form: { SAMLResponse: forged.SAMLResponse, RelayState: forged.RelayState } });
      expect(decodeURIComponent(res.headers.get('location') as string)).toMatch(/could not be verified/);
      expect(b2.cookie(t.url, 'at_session')).toBeUndefined();
    } finally {
      idp.forge = false;
    }
    expect((await log(x, 'action=auth.login_failed')).map((e) => e.metadata.reason).sort()).toEqual(['invalid_response']);

    // An assertion for this account's sign-in, posted to another account's ACS.
    const other = await samlTenant();
    const b3 = new Browser();
    const third = await toIdp(b3, `jo@${domain}`);
    const cross = await b3.go(`${t.url}/v1/sso/saml/${other.x.accountId}/acs`, { form: { SAMLResponse: third.SAMLResponse, RelayState: third.RelayState } });
    expect(cross.headers.get('location')).toMatch(/\/login\?sso_error=/);
    expect(b3.cookie(t.url, 'at_session')).toBeUndefined();
  });

  it('takes a form only at the assertion consumer service, and checks the certificate when saved', async () => {
    const x = await createTenant(t, 'enterprise', 'Form Co');
    const form = await fetch(`${t.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=a%40b.c&password=x' });
    expect(form.status).toBe(415);
    expect(form.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const badCert = await call(t.url, 'PUT', '/v1/sso/connection', { session: x.owner, body: { protocol: 'saml', idp_entity_id: 'x', idp_sso_url: idp.ssoUrl, idp_certificate: 'not a certificate' } });
    expect(badCert.status).toBe(422);
    expect(badCert.body.errors[0].path).toBe('idp_certificate');
    expect((await call(t.url, 'GET', `/v1/sso/saml/${x.accountId}/metadata`)).status).toBe(404);
  });
});

describe('email domains', () => {
  it('are verified by their DNS TXT record, and route to one account only', async () => {
    const a = await createTenant(t, 'enterprise', 'Domain A');
    const b = await createTenant(t, 'enterprise', 'Domain B');
    const domain = domainOf('shared');
    const added = await call(t.url, 'POST', '/v1/sso/domains', { session: a.owner, body: { domain: domain.toUpperCase() } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ domain, verified: false, txt_name: `_audit-trail-verification.${domain}` });
    expect(added.body.txt_value).toMatch(/^audit-trail-verification=[\w-]{32}$/);
    expect((await call(t.url, 'POST', '/v1/sso/domains', { session: a.owner, body: { domain } })).status).toBe(409);
    for (const bad of ['not a domain', 'localhost', '-x.test', 'a..test']) {
      expect((await call(t.url, 'POST', '/v1/sso/domains', { session: a.owner, body: { domain: bad } })).status).toBe(422);
    }

    // Nothing published yet, then a wrong value: not verified, and the DNS server was asked.
    const early = await call(t.url, 'POST', `/v1/sso/domains/${added.body.id}/verify`, { session: a.owner });
    expect(early.status).toBe(409);
    expect(early.body.detail).toContain(added.body.txt_value);
    expect(dns.asked.some((q) => q.name === added.body.txt_name)).toBe(true);
    dns.txt.set(added.body.txt_name, ['v=spf1 -all', 'audit-trail-verification=wrong']);
    expect((await call(t.url, 'POST', `/v1/sso/domains/${added.body.id}/verify`, { session: a.owner })).status).toBe(409);
    dns.txt.set(added.body.txt_name, ['v=spf1 -all', added.body.txt_value]);
    const ok = await call(t.url, 'POST', `/v1/sso/domains/${added.body.id}/verify`, { session: a.owner });
    expect(ok.status).toBe(200);
    expect(ok.body.verified).toBe(true);
    const verified = await log(a, 'action=sso.domain_verified');
    expect(verified).toHaveLength(1);
    expect(verified[0]).toMatchObject({ target_id: added.body.id, target_name: domain, metadata: { method: 'dns_txt' } });

    // B lists the same domain and publishes its own record: one domain, one account.
    const bAdded = await call(t.url, 'POST', '/v1/sso/domains', { session: b.owner, body: { domain } });
    dns.txt.set(bAdded.body.txt_name, [added.body.txt_value, bAdded.body.txt_value]);
    const taken = await call(t.url, 'POST', `/v1/sso/domains/${bAdded.body.id}/verify`, { session: b.owner });
    expect(taken.status).toBe(409);
    expect(taken.body.detail).toMatch(/another account/);

    // Another tenant's domain is not there for B; removal is audited.
    expect((await call(t.url, 'POST', `/v1/sso/domains/${added.body.id}/verify`, { session: b.owner })).status).toBe(404);
    expect((await call(t.url, 'DELETE', `/v1/sso/domains/${added.body.id}`, { session: b.owner })).status).toBe(404);
    expect((await call(t.url, 'DELETE', `/v1/sso/domains/${added.body.id}`, { session: a.owner })).status).toBe(204);
    expect(await log(a, 'action=sso.domain_removed')).toHaveLength(1);

    // Once A lets it go, the domain is B's to verify, and it routes to B.
    const retry = await call(t.url, 'POST', `/v1/sso/domains/${bAdded.body.id}/verify`, { session: b.owner });
    expect(retry.status).toBe(200);
    const db = await ownerClient();
    try {
      expect((await db.query('SELECT account_id FROM sso_domain_routes WHERE domain = $1', [domain])).rows).toEqual([{ account_id: b.accountId }]);
    } finally {
      await db.end();
    }
  });

  it('answers 503 when DNS does not answer', async () => {
    const silent = await startApp({ DNS_SERVERS: '127.0.0.1:9', SSO_ALLOW_PRIVATE: 'true', QUEUE_PREFIX: `test-sso-dns-${randomUUID().slice(0, 8)}` });
    try {
      const x = await createTenant(silent, 'enterprise', 'No DNS Co');
      const added = await call(silent.url, 'POST', '/v1/sso/domains', { session: x.owner, body: { domain: domainOf('silent') } });
      const res = await call(silent.url, 'POST', `/v1/sso/domains/${added.body.id}/verify`, { session: x.owner });
      expect(res.status).toBe(503);
      expect((await call(silent.url, 'GET', '/v1/sso', { session: x.owner })).body.domains[0].verified).toBe(false);
    } finally {
      await silent.close();
    }
  });
});

describe('"SSO required"', () => {
  it('sends members to SSO, ends their password sessions, and leaves owners password with two-factor', async () => {
    const { x, domain } = await oidcTenant();
    const member = await addMember(t, x, 'member');
    const sso = new Browser();
    await oidcSignIn(sso, `kim@${domain}`);

    // Owners need two-factor first: it is their way back in.
    const early = await call(t.url, 'PATCH', '/v1/security', { session: x.owner, body: { require_sso: true } });
    expect(early.status).toBe(409);
    expect(early.body.detail).toContain(x.email);
    const setup = await call(t.url, 'POST', '/v1/auth/mfa/totp/setup', { session: x.owner });
    expect((await call(t.url, 'POST', '/v1/auth/mfa/totp/enable', { session: x.owner, body: { code: await code(setup.body.secret) } })).status).toBe(200);
    const on = await call(t.url, 'PATCH', '/v1/security', { session: x.owner, body: { require_sso: true } });
    expect(on.status).toBe(200);
    expect(on.body).toEqual({ require_mfa: false, require_sso: true });
    expect((await log(x, 'action=sso.required_enabled'))[0].changes).toEqual({ before: { require_sso: false }, after: { require_sso: true } });

    // The member's password session ends; their password no longer signs in.
    expect((await call(t.url, 'GET', '/v1/account', { session: member.session })).status).toBe(401);
    const refused = await login(t, member.email, 'another good password');
    expect(refused.status).toBe(403);
    expect(refused.body.type).toMatch(/\/sso-required$/);
    expect(refused.headers.getSetCookie()).toEqual([]);
    // The SSO session goes on, and is not asked for the console's own second factor.
    expect((await call(t.url, 'GET', '/v1/account', { session: sso.session(t.url) })).status).toBe(200);
    // The owner: password and code.
    expect((await login(t, x.email, x.password)).body.type).toMatch(/\/mfa-required$/);
    const owner = await call(t.url, 'POST', '/v1/auth/login', { body: { email: x.email, password: x.password, totp: await code(setup.body.secret, 1) } });
    expect(owner.status).toBe(200);
    // Nothing that would lock the account out while it is required.
    expect((await call(t.url, 'DELETE', '/v1/sso/connection', { session: x.owner })).status).toBe(409);
    expect((await call(t.url, 'PUT', '/v1/sso/connection', { session: x.owner, body: { protocol: 'oidc', issuer: op.issuer, client_id: CLIENT.client_id, enabled: false } })).status).toBe(409);

    const off = await call(t.url, 'PATCH', '/v1/security', { session: x.owner, body: { require_sso: false } });
    expect(off.body.require_sso).toBe(false);
    expect(await log(x, 'action=sso.required_disabled')).toHaveLength(1);
    expect((await login(t, member.email, 'another good password')).status).toBe(200);
  });
});

describe('plans and tenancy', () => {
  it('hides single sign-on without the plan, from members, and from other tenants', async () => {
    const premium = await createTenant(t, 'premium', 'No SSO Co');
    expect((await call(t.url, 'GET', '/v1/sso', { session: premium.owner })).status).toBe(404);
    expect((await call(t.url, 'POST', '/v1/sso/domains', { session: premium.owner, body: { domain: domainOf('p') } })).status).toBe(404);
    expect((await call(t.url, 'PATCH', '/v1/security', { session: premium.owner, body: { require_sso: true } })).status).toBe(403);

    const { x, domain } = await oidcTenant();
    const member = await addMember(t, x, 'member');
    expect((await call(t.url, 'GET', '/v1/sso', { session: member.session })).status).toBe(403);
    // Another tenant sees its own (empty) settings, never these.
    const other = await createTenant(t, 'enterprise', 'Other Co');
    const theirs = await call(t.url, 'GET', '/v1/sso', { session: other.owner });
    expect(theirs.body).toMatchObject({ connection: null, domains: [], require_sso: false });
    expect((await call(t.url, 'DELETE', '/v1/sso/connection', { session: other.owner })).status).toBe(404);

    // A downgrade turns SSO routing off (people sign in with passwords again).
    expect((await call(t.url, 'POST', '/v1/sso/discover', { body: { email: `lee@${domain}` } })).body.sso).toBe(true);
    expect((await call(t.url, 'PUT', `/v1/operator/accounts/${x.accountId}/plan`, { headers: { authorization: `Bearer ${t.config.OPERATOR_TOKEN}` }, body: { plan: 'premium' } })).status).toBe(200);
    expect((await call(t.url, 'POST', '/v1/sso/discover', { body: { email: `lee@${domain}` } })).body.sso).toBe(false);
    expect((await call(t.url, 'GET', `/v1/sso/start?email=lee%40${domain}`)).status).toBe(404);
  });

  it('refuses bad input with problem+json', async () => {
    expect((await call(t.url, 'POST', '/v1/sso/discover', { body: { email: 'nope' } })).status).toBe(422);
    expect((await call(t.url, 'GET', '/v1/sso/start')).status).toBe(400);
    const res = await call(t.url, 'POST', `/v1/sso/saml/${randomUUID()}/acs`, { body: {} });
    expect(res.status).toBe(422);
    expect((await call(t.url, 'GET', `/v1/sso/saml/not-a-uuid/metadata`)).status).toBe(404);
  });
});
