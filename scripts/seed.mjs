#!/usr/bin/env node
// Seed the demo tenant through the running API, idempotently, and print its
// login and an ingest API key. The key's plaintext is kept in
// .data/demo-credentials.json (mode 600) so a restart can show it again.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from './lib/env.mjs';

const base = process.env.API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const operator = process.env.OPERATOR_TOKEN;
const DEMO = { account_name: 'Demo Company', email: process.env.DEMO_EMAIL ?? 'demo@audit-trail.local', password: process.env.DEMO_PASSWORD ?? 'demo-password-123' };
const credsFile = join(DATA, 'demo-credentials.json');

async function call(method, path, { body, cookie, csrf, key } = {}) {
  const headers = {};
  if (body) headers['content-type'] = 'application/json';
  if (cookie) headers.cookie = cookie;
  if (csrf) headers['x-csrf-token'] = csrf;
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, cookies: res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
}

export async function seed() {
  let created = false;
  let auth = await call('POST', '/v1/auth/login', { body: { email: DEMO.email, password: DEMO.password } });
  if (auth.status === 401) {
    auth = await call('POST', '/v1/signup', { body: DEMO });
    if (auth.status !== 201) throw new Error(`demo signup failed: ${auth.status} ${JSON.stringify(auth.body)}`);
    created = true;
  } else if (auth.status !== 200) {
    throw new Error(`demo login failed: ${auth.status} ${JSON.stringify(auth.body)}`);
  }
  const session = { cookie: auth.cookies, csrf: auth.body.csrf_token };
  const accountId = auth.body.account_id;
  const account = await call('GET', '/v1/account', session);
  if (!account.body.entitlements.audit_log && operator) {
    const r = await call('PUT', `/v1/operator/accounts/${accountId}/plan`, { body: { plan: 'premium', reason: 'demo tenant' }, key: operator });
    if (r.status !== 200) throw new Error(`demo plan failed: ${r.status}`);
  }
  let key = null;
  if (existsSync(credsFile)) {
    const saved = JSON.parse(readFileSync(credsFile, 'utf8'));
    if (saved.account_id === accountId) {
      const probe = await call('GET', '/v1/account', { key: saved.key });
      if (probe.status === 200) key = saved.key;
    }
  }
  if (!key) {
    const k = await call('POST', '/v1/api-keys', { ...session, body: { name: 'Demo ingest key', scopes: ['events:write', 'events:read', 'exports:write'] } });
    if (k.status !== 201) throw new Error(`demo key failed: ${k.status} ${JSON.stringify(k.body)}`);
    key = k.body.key;
    writeFileSync(credsFile, JSON.stringify({ account_id: accountId, email: DEMO.email, key }, null, 2), { mode: 0o600 });
  }
  if (created) {
    const now = Date.now();
    const sample = [
      { action: 'project.create', actor: { type: 'user', id: 'u_1', email: 'alice@demo.test', name: 'Alice' }, target: { type: 'project', id: 'p_1', name: 'Newsletter' }, context: { ip: '203.0.113.10' } },
      { action: 'smtp.update', actor: { type: 'user', id: 'u_1', email: 'alice@demo.test', name: 'Alice' }, context: { ip: '203.0.113.10' }, metadata: { smtp_host: 'smtp.mailgun.org' }, changes: { before: { smtp_host: 'smtp.old.example' }, after: { smtp_host: 'smtp.mailgun.org' } } },
      { action: 'member.invited', actor: { type: 'user', id: 'u_2', email: 'bob@demo.test', name: 'Bob' }, context: { ip: '198.51.100.7' }, metadata: { invitee: 'carol@demo.test' } },
      { action: 'auth.login_failed', actor: { type: 'user', id: 'u_3', email: 'mallory@demo.test' }, context: { ip: '192.0.2.66' }, outcome: 'failure' },
    ].map((e, i) => ({ ...e, occurred_at: new Date(now - (i + 1) * 3600_000).toISOString() }));
    if (account.body.entitlements.audit_log || operator) await call('POST', '/v1/events', { key, body: { events: sample } });
  }
  return { email: DEMO.email, password: DEMO.password, key, created };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await seed();
  console.log(JSON.stringify(r, null, 2));
}
