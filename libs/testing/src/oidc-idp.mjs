#!/usr/bin/env node
// An OpenID Provider for tests (oidc-provider, a certified implementation),
// on 127.0.0.1 with a free port. It prints {"issuer": …} on its first line.
//
// OIDC_CLIENTS: JSON array of oidc-provider client metadata.
// Sign-in: its development interaction form takes any login; the login is the
// person's email. A login "unverified:<email>" answers email_verified=false.
// Consent is granted at once. PKCE is required of every client.
import Provider from 'oidc-provider';
import { createServer } from 'node:http';

const clients = JSON.parse(process.env.OIDC_CLIENTS ?? '[]');
const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: ['test-only-cookie-signing-key-0123456789'] },
  async findAccount(_ctx, id) {
    const email = id.replace(/^unverified:/, '');
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: !id.startsWith('unverified:'), name: `Person ${email.split('@')[0]}` };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
