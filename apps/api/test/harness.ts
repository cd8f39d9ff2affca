import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type AppConfig, loadConfig } from '@audit-trail/platform';
import type { PlanId } from '@audit-trail/plans';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { createApp } from '../src/app.factory';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  close(): Promise<void>;
}

/** Boot the real API (same factory as production) on a free loopback port. */
export async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ ...process.env, ...env, PORT: '0' });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const addr = app.getHttpServer().address() as { port: number };
  return { app, config, url: `http://127.0.0.1:${addr.port}`, close: () => app.close() };
}

/**
 * The real worker as a child process (built apps/worker/dist), sharing the
 * test's database, Redis prefix and export directory. Stop it with kill().
 */
export function spawnWorker(env: Record<string, string> = {}, inherit = Boolean(process.env.DEBUG_CHILD)): ChildProcess {
  return spawn(process.execPath, [join(__dirname, '../../worker/dist/main.js')], {
    env: { ...process.env, WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: inherit ? 'inherit' : 'ignore',
  });
}

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  key?: string;
  session?: Session;
  csrf?: boolean;
}

export interface Session {
  cookie: string;
  csrf: string;
}

export async function call<T = any>(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Res<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.session) {
    headers.cookie = opts.session.cookie;
    if (opts.csrf !== false && method !== 'GET') headers['x-csrf-token'] = opts.session.csrf;
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T, headers: res.headers, text };
}

function sessionFrom(res: Res): Session {
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]);
  return { cookie: cookies.join('; '), csrf: (res.body as { csrf_token: string }).csrf_token };
}

export interface Tenant {
  accountId: string;
  userId: string;
  workspaceId: string;
  email: string;
  password: string;
  owner: Session;
  /** An API key with every scope. */
  key: string;
}

export const uniqueEmail = (label = 'user') => `${label}-${randomUUID().slice(0, 8)}@example.test`;

export async function setPlan(t: TestApp, accountId: string, plan: PlanId): Promise<void> {
  const res = await call(t.url, 'PUT', `/v1/operator/accounts/${accountId}/plan`, {
    headers: { authorization: `Bearer ${t.config.OPERATOR_TOKEN}` },
    body: { plan },
  });
  if (res.status !== 200) throw new Error(`setPlan ${res.status} ${res.text}`);
}

/** Sign up a fresh tenant, put it on `plan`, and create a full-scope API key. */
export async function createTenant(t: TestApp, plan: PlanId = 'premium', name = 'Acme'): Promise<Tenant> {
  const email = uniqueEmail('owner');
  const password = 'correct horse battery staple';
  const signup = await call(t.url, 'POST', '/v1/signup', { body: { account_name: name, email, password } });
  if (signup.status !== 201) throw new Error(`signup ${signup.status} ${signup.text}`);
  const owner = sessionFrom(signup);
  if (plan !== 'free') await setPlan(t, signup.body.account_id, plan);
  const key = await call(t.url, 'POST', '/v1/api-keys', {
    session: owner,
    body: { name: 'test key', scopes: ['events:write', 'events:read', 'exports:write', 'admin'] },
  });
  if (key.status !== 201) throw new Error(`key ${key.status} ${key.text}`);
  return { accountId: signup.body.account_id, userId: signup.body.user_id, workspaceId: signup.body.workspace_id, email, password, owner, key: key.body.key };
}

/** Invite a person with a role, accept, and return their session. */
export async function addMember(t: TestApp, tenant: Tenant, role: 'owner' | 'admin' | 'member', workspaceIds: string[] = []) {
  const email = uniqueEmail(role);
  const inv = await call(t.url, 'POST', '/v1/members/invitations', { session: tenant.owner, body: { email, role, workspace_ids: workspaceIds } });
  if (inv.status !== 201) throw new Error(`invite ${inv.status} ${inv.text}`);
  const acc = await call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { name: `${role} person`, password: 'another good password' } });
  if (acc.status !== 201) throw new Error(`accept ${acc.status} ${acc.text}`);
  return { session: sessionFrom(acc), userId: acc.body.user_id as string, email };
}

export async function login(t: TestApp, email: string, password: string): Promise<Res> {
  return call(t.url, 'POST', '/v1/auth/login', { body: { email, password } });
}

export { sessionFrom };

/** A connection as the database owner, for assertions the API cannot make. */
export async function ownerClient(): Promise<Client> {
  const c = new Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  return c;
}

export async function appRoleClient(t: TestApp): Promise<Client> {
  const c = new Client({ connectionString: t.config.APP_DATABASE_URL });
  await c.connect();
  return c;
}

export function event(overrides: Record<string, unknown> = {}) {
  return { action: 'document.update', actor: { type: 'user', id: 'u_1', email: 'alice@acme.com', name: 'Alice' }, ...overrides };
}
