import * as samlify from 'samlify';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

// The identity provider's side of a test: it builds and signs assertions
// (samlify, xml-crypto); the service provider under test (node-saml) is the
// one that must check them, so the IdP does not re-validate what it parses.
samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });

export interface SamlIdp {
  entityId: string;
  ssoUrl: string;
  /** PEM of the signing certificate, as an admin pastes it. */
  certificate: string;
  /** Sign the next answers with a key the service provider was never given (a forged assertion). */
  forge: boolean;
  /** The AuthnRequests that arrived (ID, issuer, ACS), newest last. */
  requests: { id: string; issuer: string; acs: string }[];
  /** The auto-posting form the IdP returns for `email`, for the request that arrived last; its fields too. */
  answer(email: string, relayState: string): Promise<{ html: string; acs: string; SAMLResponse: string; RelayState: string }>;
  close(): Promise<void>;
}

/** A throwaway RSA key and self-signed certificate (openssl), removed from disk at once. */
export function selfSigned(cn: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'saml-idp-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const attr = (xml: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(xml)?.[1] ?? '';
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * A SAML 2.0 identity provider on loopback: `GET /sso` (HTTP-Redirect
 * binding) shows a sign-in form asking for an email; `POST /sso` answers with
 * a signed assertion for it, auto-posted to the service provider's ACS.
 */
export async function startSamlIdp(): Promise<SamlIdp> {
  const real = selfSigned('Test SAML IdP');
  const forged = selfSigned('Someone else');
  const requests: SamlIdp['requests'] = [];
  const server = createServer((req, res) => void handle(req).then((r) => res.writeHead(r.status, { 'content-type': 'text/html; charset=utf-8' }).end(r.body)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp: SamlIdp = {
    entityId: `${base}/metadata`,
    ssoUrl: `${base}/sso`,
    certificate: real.cert,
    forge: false,
    requests,
    answer,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  async function answer(email: string, relayState: string) {
    const last = requests.at(-1);
    if (!last) throw new Error('no AuthnRequest has arrived');
    const keys = idp.forge ? forged : real;
    const entity = samlify.IdentityProvider({
      entityID: idp.entityId,
      privateKey: keys.key,
      signingCert: keys.cert,
      isAssertionEncrypted: false,
      nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
      singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: idp.ssoUrl }],
      // Not used (the service provider has no single logout); declared so samlify does not warn about it.
      singleLogoutService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: `${base}/slo` }],
    });
    const sp = samlify.ServiceProvider({
      entityID: last.issuer,
      wantAssertionsSigned: true,
      assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: last.acs }],
    });
    const { context } = await entity.createLoginResponse(sp, { extract: { request: { id: last.id } } }, 'post', { email });
    const html = `<!doctype html><title>Signing in…</title><form method="post" action="${escape(last.acs)}">
<input type="hidden" name="SAMLResponse" value="${escape(context)}"><input type="hidden" name="RelayState" value="${escape(relayState)}">
<noscript><button>Continue</button></noscript></form><script>document.forms[0].submit()</script>`;
    return { html, acs: last.acs, SAMLResponse: context, RelayState: relayState };
  }

  async function handle(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const url = new URL(req.url ?? '/', base);
    if (req.method === 'GET' && url.pathname === '/sso') {
      const raw = url.searchParams.get('SAMLRequest');
      if (!raw) return { status: 400, body: 'SAMLRequest is missing' };
      const xml = inflateRawSync(Buffer.from(raw, 'base64')).toString('utf8');
      const issuer = /<(?:saml2?:)?Issuer[^>]*>([^<]+)</.exec(xml)?.[1] ?? '';
      requests.push({ id: attr(xml, 'ID'), issuer, acs: attr(xml, 'AssertionConsumerServiceURL') });
      const relay = url.searchParams.get('RelayState') ?? '';
      return {
        status: 200,
        body: `<!doctype html><title>Test IdP sign-in</title><h1>Test IdP</h1><form method="post" action="/sso">
<label>Email <input name="email" type="email" autocomplete="off"></label><input type="hidden" name="RelayState" value="${escape(relay)}">
<button type="submit">Sign in</button></form>`,
      };
    }
    if (req.method === 'POST' && url.pathname === '/sso') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      return { status: 200, body: (await answer(form.get('email') ?? '', form.get('RelayState') ?? '')).html };
    }
    return { status: 404, body: 'not found' };
  }

  return idp;
}
