import type { RedisClient } from '@audit-trail/queues';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '@audit-trail/config';
import {
  accountRequiresSso,
  Database,
  deleteSsoConnection,
  deleteSsoDomain,
  insertSsoDomain,
  markSsoDomainVerified,
  ownersWithoutTotp,
  readAccountPlan,
  setAccountRequiresSso,
  ssoConnection,
  type SsoConnectionRow,
  ssoDomain,
  type SsoDomainRow,
  ssoDomains,
  ssoRoute,
  type SqlExecutor,
  upsertSsoConnection,
} from '@audit-trail/data';
import { guardedFetch, SecretBox } from '@audit-trail/engines';
import { newId } from '@audit-trail/audit-core';
import { hasEntitlement, planOrFree } from '@audit-trail/plans';
import { type CacheProvider, SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { X509Certificate } from 'node:crypto';
import * as oidc from 'openid-client';
import { AppError, ErrorCode, notFound } from '../common/errors';
import type { Principal, RequestMeta } from '../common/principal';
import { CONFIG, REDIS } from '../core/tokens';
import { type SelfAuditEvent, SelfAuditService } from '../self-audit/self-audit.service';
import { AuthService, type NewSession } from '../auth/auth.service';
import { lookupTxt, newVerificationToken, parseDnsServers, txtRecord } from './domain-verification';
import type { SsoConnectionInputBody } from './sso.schemas';

/** How long a started sign-in may take at the identity provider. */
export const SSO_STATE_TTL_S = 600;
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

interface SsoState {
  account_id: string;
  protocol: 'oidc' | 'saml';
  verifier?: string;
  nonce?: string;
}

/** A sign-in that could not finish: a sentence for the person, a short reason for the log. */
export class SsoSignInError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly accountId: string | null = null,
  ) {
    super(message);
  }
}

/** Where the identity provider sends people back, and what it calls us. */
export function serviceProvider(base: string, accountId: string) {
  return {
    oidc_redirect_uri: `${base}/v1/sso/oidc/callback`,
    saml_acs_url: `${base}/v1/sso/saml/${accountId}/acs`,
    saml_entity_id: `${base}/v1/sso/saml/${accountId}/metadata`,
    saml_metadata_url: `${base}/v1/sso/saml/${accountId}/metadata`,
  };
}

function pem(cert: string): string {
  const body = cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Single sign-on for the console: an account's connection (OpenID Connect
 * with PKCE through openid-client, or SAML 2.0 through node-saml, which
 * checks the XML signatures), its verified email domains, "SSO required",
 * and the sign-in itself. A started sign-in lives in Redis for ten minutes
 * and is bound to the browser by a cookie; it is spent once.
 */
@Injectable()
export class SsoService {
  private readonly log = new Logger('sso');
  private readonly box: SecretBox;
  private readonly prefix: string;
  private readonly fetch: ReturnType<typeof guardedFetch>;
  private readonly samlRequests: CacheProvider;

  constructor(
    private readonly db: Database,
    private readonly audit: SelfAuditService,
    private readonly auth: AuthService,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {
    this.box = new SecretBox(config.SESSION_SECRET, 'sso-client-secrets/v1');
    this.prefix = `${config.QUEUE_PREFIX}:sso`;
    this.fetch = guardedFetch({ allowPrivate: config.SSO_ALLOW_PRIVATE, timeoutMs: 10_000 });
    const key = (id: string) => `${this.prefix}:saml-request:${id}`;
    // node-saml remembers each AuthnRequest's ID to check InResponseTo; in Redis, every api process sees them.
    this.samlRequests = {
      saveAsync: async (id, value) => {
        await this.redis.set(key(id), value, 'EX', SSO_STATE_TTL_S);
        return { value, createdAt: Date.now() };
      },
      getAsync: async (id) => this.redis.get(key(id)),
      removeAsync: async (id) => (id ? this.redis.getdel(key(id)) : null),
    };
  }

  // ---- settings (admins) ---------------------------------------------------

  private view(conn: SsoConnectionRow | null) {
    if (!conn) return null;
    return {
      protocol: conn.protocol,
      enabled: conn.enabled,
      default_role: conn.default_role,
      ...(conn.protocol === 'oidc'
        ? { issuer: conn.oidc_issuer, client_id: conn.oidc_client_id, client_secret_set: Boolean(conn.oidc_client_secret) }
        : { idp_entity_id: conn.saml_entity_id, idp_sso_url: conn.saml_sso_url, idp_certificate: conn.saml_certificate, idp_certificate_expires_at: certificateExpiry(conn.saml_certificate) }),
      updated_at: conn.updated_at.toISOString(),
    };
  }

  private domainView(d: SsoDomainRow) {
    const txt = txtRecord(d.domain, d.verification_token);
    return { id: d.id, domain: d.domain, verified: Boolean(d.verified_at), verified_at: d.verified_at?.toISOString() ?? null, txt_name: txt.name, txt_value: txt.value, created_at: d.created_at.toISOString() };
  }

  /** An admin's change to single sign-on, in the account log. */
  private recordChange(c: SqlExecutor, p: Principal, meta: RequestMeta, action: string, target: SelfAuditEvent['target'], more: Pick<SelfAuditEvent, 'changes' | 'metadata'> = {}) {
    return this.audit.record(c, { accountId: p.accountId, plan: p.plan, action, actor: { kind: 'principal', principal: p }, meta, target, ...more });
  }

  async settings(p: Principal, base: string) {
    const { conn, domains, required } = await this.db.tenant(
      p.accountId,
      async (c) => ({ conn: await ssoConnection(c), domains: await ssoDomains(c), required: await accountRequiresSso(c, p.accountId) }),
      { readOnly: true },
    );
    return { connection: this.view(conn), domains: domains.map((d) => this.domainView(d)), require_sso: required, service_provider: serviceProvider(base, p.accountId) };
  }

  async configure(p: Principal, input: SsoConnectionInputBody, meta: RequestMeta, base: string) {
    const row: Omit<SsoConnectionRow, 'created_at' | 'updated_at'> = {
      account_id: p.accountId,
      protocol: input.protocol,
      enabled: input.enabled,
      default_role: input.default_role,
      oidc_issuer: null,
      oidc_client_id: null,
      oidc_client_secret: null,
      saml_entity_id: null,
      saml_sso_url: null,
      saml_certificate: null,
    };
    if (input.protocol === 'oidc') {
      const current = await this.db.tenant(p.accountId, (c) => ssoConnection(c), { readOnly: true });
      const sealed = input.client_secret !== undefined ? this.box.seal(input.client_secret) : current?.protocol === 'oidc' ? current.oidc_client_secret : null;
      if (!sealed) throw new AppError(ErrorCode.Validation, 'Enter the client secret your identity provider issued.', [{ path: 'client_secret', message: 'is required' }]);
      row.oidc_issuer = input.issuer.replace(/\/+$/, '');
      row.oidc_client_id = input.client_id;
      row.oidc_client_secret = sealed;
      // Read the issuer's discovery document now, so a typo shows here and not at someone's sign-in.
      try {
        await this.oidcConfig(row);
      } catch (err) {
        throw new AppError(ErrorCode.Validation, `The issuer's discovery document could not be read: ${(err as Error).message}`, [{ path: 'issuer', message: 'has no readable /.well-known/openid-configuration' }]);
      }
    } else {
      let cert: string;
      try {
        cert = pem(input.idp_certificate);
        new X509Certificate(cert);
      } catch {
        throw new AppError(ErrorCode.Validation, 'The certificate is not an X.509 certificate in PEM or base64.', [{ path: 'idp_certificate', message: 'is not a certificate' }]);
      }
      row.saml_entity_id = input.idp_entity_id;
      row.saml_sso_url = input.idp_sso_url;
      row.saml_certificate = cert;
    }
    await this.db.tenant(
      p.accountId,
      async (c) => {
        if (!row.enabled && (await accountRequiresSso(c, p.accountId))) throw requiredConflict();
        const before = await upsertSsoConnection(c, row, p.userId);
        const summary = (x: typeof row | SsoConnectionRow | null) =>
          x && {
            protocol: x.protocol,
            enabled: x.enabled,
            default_role: x.default_role,
            ...(x.protocol === 'oidc' ? { issuer: x.oidc_issuer, client_id: x.oidc_client_id } : { idp_entity_id: x.saml_entity_id, idp_sso_url: x.saml_sso_url, idp_certificate_sha256: fingerprint(x.saml_certificate) }),
          };
        await this.recordChange(c, p, meta, 'sso.configured', { type: 'sso_connection', id: p.accountId, name: row.protocol === 'oidc' ? 'OpenID Connect' : 'SAML 2.0' }, {
          changes: { before: summary(before), after: summary(row) },
          // (A key named like a secret would be redacted: this says only whether the client secret was replaced.)
          metadata: { client_key_changed: input.protocol === 'oidc' && input.client_secret !== undefined },
        });
      },
      { userId: p.userId ?? undefined },
    );
    return this.settings(p, base);
  }

  async remove(p: Principal, meta: RequestMeta): Promise<void> {
    await this.db.tenant(p.accountId, async (c) => {
      if (await accountRequiresSso(c, p.accountId)) throw requiredConflict();
      const gone = await deleteSsoConnection(c);
      if (!gone) throw notFound('The single sign-on connection');
      await this.recordChange(c, p, meta, 'sso.removed', { type: 'sso_connection', id: p.accountId }, { metadata: { protocol: gone.protocol } });
    });
  }

  async addDomain(p: Principal, domain: string, meta: RequestMeta) {
    const row = await this.db.tenant(p.accountId, async (c) => {
      const d = await insertSsoDomain(c, { id: newId(), accountId: p.accountId, domain, token: newVerificationToken(), createdBy: p.userId });
      if (!d) throw new AppError(ErrorCode.Conflict, `${domain} is already listed.`);
      await this.recordChange(c, p, meta, 'sso.domain_added', { type: 'sso_domain', id: d.id, name: domain });
      return d;
    });
    return this.domainView(row);
  }

  async verifyDomain(p: Principal, id: string, meta: RequestMeta) {
    const d = await this.db.tenant(p.accountId, (c) => ssoDomain(c, id), { readOnly: true });
    if (!d) throw notFound('The domain');
    if (d.verified_at) return this.domainView(d);
    const txt = txtRecord(d.domain, d.verification_token);
    let found: string[];
    try {
      found = await lookupTxt(txt.name, parseDnsServers(this.config.DNS_SERVERS));
    } catch (err) {
      throw new AppError(ErrorCode.Unavailable, `DNS did not answer for ${txt.name} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); try again in a minute.`);
    }
    if (!found.includes(txt.value)) {
      throw new AppError(
        ErrorCode.Conflict,
        found.length
          ? `${txt.name} has TXT ${found.map((f) => `"${f}"`).join(', ')}, not "${txt.value}". Fix the record and try again.`
          : `No TXT record at ${txt.name} yet. Add one with the value "${txt.value}"; DNS changes can take a few minutes to appear.`,
      );
    }
    const verified = await this.db.tenant(p.accountId, async (c) => {
      if (!(await markSsoDomainVerified(c, id))) throw new AppError(ErrorCode.Conflict, `${d.domain} is already verified by another account; one domain signs in to one account.`);
      const row = (await ssoDomain(c, id)) as SsoDomainRow;
      await this.recordChange(c, p, meta, 'sso.domain_verified', { type: 'sso_domain', id, name: d.domain }, { metadata: { method: 'dns_txt', record: txt.name } });
      return row;
    });
    return this.domainView(verified);
  }

  async removeDomain(p: Principal, id: string, meta: RequestMeta): Promise<void> {
    await this.db.tenant(p.accountId, async (c) => {
      const gone = await deleteSsoDomain(c, id);
      if (!gone) throw notFound('The domain');
      if ((await accountRequiresSso(c, p.accountId)) && !(await ssoDomains(c)).some((x) => x.verified_at)) {
        throw new AppError(ErrorCode.Conflict, 'Single sign-on is required and this is the last verified domain: turn "SSO required" off first.');
      }
      await this.recordChange(c, p, meta, 'sso.domain_removed', { type: 'sso_domain', id, name: gone.domain }, { metadata: { was_verified: Boolean(gone.verified_at) } });
    });
  }

  /**
   * Turn "SSO required" on or off (inside the caller's transaction). On
   * needs a working connection, a verified domain, and two-factor for every
   * owner: their password stays the way back in.
   */
  async setRequired(c: SqlExecutor, p: Principal, value: boolean, meta: RequestMeta): Promise<void> {
    if (value) {
      if (!hasEntitlement(p.plan, 'sso')) throw new AppError(ErrorCode.PlanLimit, 'Single sign-on is not part of your plan.');
      const conn = await ssoConnection(c);
      if (!conn?.enabled) throw new AppError(ErrorCode.Conflict, 'Set up and enable a single sign-on connection first.');
      if (!(await ssoDomains(c)).some((d) => d.verified_at)) throw new AppError(ErrorCode.Conflict, 'Verify at least one email domain first, so members can find your single sign-on.');
      const missing = await ownersWithoutTotp(c);
      if (missing.length) {
        throw new AppError(ErrorCode.Conflict, `Every owner needs two-factor on first (their password and code stay the way back in): ${missing.map((m) => m.email).join(', ')}.`);
      }
    }
    const before = await setAccountRequiresSso(c, p.accountId, value);
    if (before === value) return;
    await this.recordChange(c, p, meta, value ? 'sso.required_enabled' : 'sso.required_disabled', { type: 'account', id: p.accountId }, {
      changes: { before: { require_sso: before }, after: { require_sso: value } },
    });
  }

  // ---- sign-in -------------------------------------------------------------

  /** Where an email signs in: the account whose verified domain it is (and whose plan includes SSO), or nothing. */
  async route(email: string): Promise<{ accountId: string; protocol: 'oidc' | 'saml' } | null> {
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    const r = await ssoRoute(this.db, domain);
    if (!r || !hasEntitlement(planOrFree(r.plan).id, 'sso')) return null;
    return { accountId: r.account_id, protocol: r.protocol };
  }

  private async connectionOf(accountId: string): Promise<SsoConnectionRow> {
    const conn = await this.db.tenant(accountId, (c) => ssoConnection(c), { readOnly: true });
    if (!conn?.enabled) throw new SsoSignInError('not_configured', 'Single sign-on is not set up for this account any more.', accountId);
    return conn;
  }

  private async oidcConfig(conn: Pick<SsoConnectionRow, 'oidc_issuer' | 'oidc_client_id' | 'oidc_client_secret'>): Promise<oidc.Configuration> {
    const fetchImpl = this.fetch as unknown as oidc.CustomFetch;
    const cfg = await oidc.discovery(new URL(conn.oidc_issuer as string), conn.oidc_client_id as string, this.box.open(conn.oidc_client_secret as string), undefined, {
      execute: this.config.SSO_ALLOW_PRIVATE ? [oidc.allowInsecureRequests] : [],
      [oidc.customFetch]: fetchImpl,
      timeout: 10,
    });
    cfg[oidc.customFetch] = fetchImpl;
    return cfg;
  }

  private saml(conn: SsoConnectionRow, base: string): SAML {
    const sp = serviceProvider(base, conn.account_id);
    return new SAML({
      entryPoint: conn.saml_sso_url as string,
      issuer: sp.saml_entity_id,
      audience: sp.saml_entity_id,
      callbackUrl: sp.saml_acs_url,
      idpCert: conn.saml_certificate as string,
      idpIssuer: conn.saml_entity_id as string,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: SSO_STATE_TTL_S * 1000,
      cacheProvider: this.samlRequests,
      identifierFormat: EMAIL_FORMAT,
      acceptedClockSkewMs: 60_000,
      disableRequestedAuthnContext: true,
    });
  }

  /** Begin: the identity provider's URL to send the browser to, and the state to bind to it (a cookie). */
  async start(email: string, base: string): Promise<{ url: string; state: string }> {
    const route = await this.route(email);
    if (!route) throw new AppError(ErrorCode.NotFound, `No single sign-on is set up for ${email.slice(email.lastIndexOf('@') + 1)}; sign in with your password.`);
    const conn = await this.connectionOf(route.accountId).catch((err: unknown) => {
      throw err instanceof SsoSignInError ? new AppError(ErrorCode.NotFound, err.message) : err;
    });
    const state = oidc.randomState();
    const record: SsoState = { account_id: conn.account_id, protocol: conn.protocol };
    let url: string;
    if (conn.protocol === 'oidc') {
      let cfg: oidc.Configuration;
      try {
        cfg = await this.oidcConfig(conn);
      } catch (err) {
        this.log.warn({ account_id: conn.account_id, err: (err as Error).message }, 'identity provider discovery failed');
        throw new AppError(ErrorCode.Unavailable, 'Your identity provider did not answer; try again in a minute.');
      }
      record.verifier = oidc.randomPKCECodeVerifier();
      record.nonce = oidc.randomNonce();
      url = oidc
        .buildAuthorizationUrl(cfg, {
          redirect_uri: serviceProvider(base, conn.account_id).oidc_redirect_uri,
          scope: 'openid email profile',
          code_challenge: await oidc.calculatePKCECodeChallenge(record.verifier),
          code_challenge_method: 'S256',
          state,
          nonce: record.nonce,
          login_hint: email,
        })
        .toString();
    } else {
      url = await this.saml(conn, base).getAuthorizeUrlAsync(state, undefined, {});
    }
    await this.redis.set(`${this.prefix}:state:${state}`, JSON.stringify(record), 'EX', SSO_STATE_TTL_S);
    return { url, state };
  }

  /** The started sign-in a callback belongs to: it must be this browser's (the cookie) and is spent now. */
  private async takeState(state: string | undefined, cookie: string | undefined): Promise<SsoState> {
    if (!state || !cookie || state !== cookie) {
      // A live sign-in finished in another browser (login CSRF, or a link shared by mistake): the account hears of it. Junk states say nothing.
      const live = state ? await this.redis.get(`${this.prefix}:state:${state}`) : null;
      const accountId = live ? (JSON.parse(live) as SsoState).account_id : null;
      throw new SsoSignInError('state_mismatch', 'This sign-in was not started in this browser, or took too long. Start again.', accountId);
    }
    const raw = await this.redis.getdel(`${this.prefix}:state:${state}`);
    if (!raw) throw new SsoSignInError('state_expired', 'This sign-in took too long or was already used. Start again.');
    return JSON.parse(raw) as SsoState;
  }

  /** The email must be in one of the account's verified domains: an identity provider vouches only for its own. */
  private async finish(accountId: string, protocol: 'oidc' | 'saml', person: { email: string | null; name: string | null; subject: string }, meta: RequestMeta): Promise<NewSession> {
    const email = person.email?.trim().toLowerCase();
    if (!email || !/^[^\s@]+@[^\s@]+$/.test(email)) throw new SsoSignInError('no_email', 'Your identity provider did not send an email address.', accountId);
    const domain = email.slice(email.lastIndexOf('@') + 1);
    const { conn, domains } = await this.db.tenant(accountId, async (c) => ({ conn: await ssoConnection(c), domains: await ssoDomains(c) }), { readOnly: true });
    if (!conn?.enabled) throw new SsoSignInError('not_configured', 'Single sign-on is not set up for this account any more.', accountId);
    if (!domains.some((d) => d.verified_at && d.domain === domain)) {
      throw new SsoSignInError('domain_not_verified', `Your identity provider signed in ${email}, but ${domain} is not a verified domain of this account.`, accountId);
    }
    try {
      return await this.auth.signInWithSso(accountId, { email, name: person.name }, { protocol, defaultRole: conn.default_role, subject: person.subject }, meta);
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.Forbidden) throw new SsoSignInError('membership_deactivated', err.detail, accountId);
      throw err;
    }
  }

  async oidcCallback(query: Record<string, string | undefined>, rawQuery: string, cookie: string | undefined, base: string, meta: RequestMeta): Promise<NewSession> {
    const st = await this.takeState(query.state, cookie);
    if (st.protocol !== 'oidc') throw new SsoSignInError('state_mismatch', 'This sign-in was started for another kind of single sign-on.', st.account_id);
    if (query.error) throw new SsoSignInError(`idp_${query.error}`.slice(0, 60), `Your identity provider refused the sign-in: ${query.error_description ?? query.error}.`, st.account_id);
    const conn = await this.connectionOf(st.account_id);
    if (conn.protocol !== 'oidc') throw new SsoSignInError('not_configured', 'Single sign-on for this account changed while you signed in. Start again.', st.account_id);
    let claims: { sub: string; email?: unknown; email_verified?: unknown; name?: unknown };
    try {
      const cfg = await this.oidcConfig(conn);
      const tokens = await oidc.authorizationCodeGrant(cfg, new URL(`${serviceProvider(base, st.account_id).oidc_redirect_uri}?${rawQuery}`), {
        pkceCodeVerifier: st.verifier,
        expectedState: query.state,
        expectedNonce: st.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims() as typeof claims;
      // Providers that follow the core spec strictly put email in the UserInfo answer, not the ID token.
      if (typeof claims.email !== 'string') claims = { ...(await oidc.fetchUserInfo(cfg, tokens.access_token, claims.sub)), sub: claims.sub };
    } catch (err) {
      this.log.warn({ account_id: st.account_id, err: (err as Error).message }, 'OIDC sign-in refused');
      throw new SsoSignInError('invalid_response', `Your identity provider's answer could not be verified (${(err as Error).message}).`, st.account_id);
    }
    if (claims.email_verified === false) throw new SsoSignInError('email_not_verified', 'Your identity provider says your email address is not verified.', st.account_id);
    return this.finish(st.account_id, 'oidc', { email: typeof claims.email === 'string' ? claims.email : null, name: typeof claims.name === 'string' ? claims.name : null, subject: claims.sub }, meta);
  }

  async samlAcs(accountId: string, body: Record<string, string>, cookie: string | undefined, base: string, meta: RequestMeta): Promise<NewSession> {
    const st = await this.takeState(body.RelayState, cookie);
    if (st.protocol !== 'saml' || st.account_id !== accountId) throw new SsoSignInError('state_mismatch', 'This answer belongs to another sign-in. Start again.', st.account_id);
    const conn = await this.connectionOf(accountId);
    if (conn.protocol !== 'saml') throw new SsoSignInError('not_configured', 'Single sign-on for this account changed while you signed in. Start again.', accountId);
    let profile: Record<string, unknown>;
    try {
      const r = await this.saml(conn, base).validatePostResponseAsync({ SAMLResponse: body.SAMLResponse ?? '' });
      if (!r.profile) throw new Error('no assertion');
      profile = r.profile;
    } catch (err) {
      this.log.warn({ account_id: accountId, err: (err as Error).message }, 'SAML sign-in refused');
      throw new SsoSignInError('invalid_response', `Your identity provider's answer could not be verified (${(err as Error).message}).`, accountId);
    }
    const attr = (...names: string[]) => names.map((n) => profile[n]).find((v): v is string => typeof v === 'string' && v.length > 0) ?? null;
    const nameId = typeof profile.nameID === 'string' ? profile.nameID : '';
    const email = attr('email', 'mail', 'urn:oid:0.9.2342.19200300.100.1.3', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress') ?? (nameId.includes('@') ? nameId : null);
    const given = attr('firstName', 'givenName', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname');
    const family = attr('lastName', 'sn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname');
    const name = attr('displayName', 'name', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name') ?? ([given, family].filter(Boolean).join(' ') || null);
    return this.finish(accountId, 'saml', { email, name, subject: nameId }, meta);
  }

  /** Our SAML metadata for the identity provider to import (only for an account with a SAML connection). */
  async samlMetadata(accountId: string, base: string): Promise<string> {
    const conn = await this.db.tenant(accountId, (c) => ssoConnection(c), { readOnly: true }).catch(() => null);
    if (conn?.protocol !== 'saml') throw notFound('SAML metadata');
    return this.saml(conn, base).generateServiceProviderMetadata(null);
  }

  /** A failed sign-in, in the account's log when we know the account. */
  async recordFailure(err: SsoSignInError, meta: RequestMeta): Promise<void> {
    if (!err.accountId) return;
    const accountId = err.accountId;
    await this.db.tenant(accountId, async (c) => {
      const plan = planOrFree((await readAccountPlan(c, accountId)) ?? '').id;
      await this.audit.record(c, {
        accountId,
        plan,
        action: 'auth.login_failed',
        actor: { kind: 'system', id: 'sso', name: 'Single sign-on' },
        meta,
        outcome: 'failure',
        metadata: { method: 'sso', reason: err.reason },
      });
    });
  }
}

function requiredConflict() {
  return new AppError(ErrorCode.Conflict, 'Single sign-on is required in this account: turn "SSO required" off first (Security page).');
}

function certificateExpiry(cert: string | null): string | null {
  if (!cert) return null;
  try {
    return new Date(new X509Certificate(cert).validTo).toISOString();
  } catch {
    return null;
  }
}

function fingerprint(cert: string | null): string | null {
  if (!cert) return null;
  try {
    return new X509Certificate(cert).fingerprint256;
  } catch {
    return null;
  }
}
