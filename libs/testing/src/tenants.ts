import type { AppConfig } from '@audit-trail/config';
import type { PlanId } from '@audit-trail/plans';
import { randomUUID } from 'node:crypto';
import { call, type Res, type Session, sessionFrom } from './http';

/** A running API, wherever it runs: in the test's process or as a child process. */
export interface ApiUnderTest {
  config: AppConfig;
  url: string;
  close(): Promise<void>;
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

export async function setPlan(t: ApiUnderTest, accountId: string, plan: PlanId): Promise<void> {
  const res = await call(t.url, 'PUT', `/v1/operator/accounts/${accountId}/plan`, {
    headers: { authorization: `Bearer ${t.config.OPERATOR_TOKEN}` },
    body: { plan },
  });
  if (res.status !== 200) throw new Error(`setPlan ${res.status} ${res.text}`);
}

/** Sign up a fresh tenant, put it on `plan`, and create a full-scope API key. */
export async function createTenant(t: ApiUnderTest, plan: PlanId = 'premium', name = 'Acme'): Promise<Tenant> {
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
export async function addMember(t: ApiUnderTest, tenant: Tenant, role: 'owner' | 'admin' | 'member', workspaceIds: string[] = []) {
  const email = uniqueEmail(role);
  const inv = await call(t.url, 'POST', '/v1/members/invitations', { session: tenant.owner, body: { email, role, workspace_ids: workspaceIds } });
  if (inv.status !== 201) throw new Error(`invite ${inv.status} ${inv.text}`);
  const acc = await call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { name: `${role} person`, password: 'another good password' } });
  if (acc.status !== 201) throw new Error(`accept ${acc.status} ${acc.text}`);
  return { session: sessionFrom(acc), userId: acc.body.user_id as string, email };
}

export async function login(t: ApiUnderTest, email: string, password: string): Promise<Res> {
  return call(t.url, 'POST', '/v1/auth/login', { body: { email, password } });
}

export function event(overrides: Record<string, unknown> = {}) {
  return { action: 'document.update', actor: { type: 'user', id: 'u_1', email: 'alice@acme.com', name: 'Alice' }, ...overrides };
}
