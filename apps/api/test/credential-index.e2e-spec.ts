import { createHash, randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { appRoleClient, call, createTenant, event, login, ownerClient, sessionFrom, startApp, type TestApp, uniqueEmail, until } from './harness';

// Credentials are found before the tenant is known, by the hash of their
// secret. Those look-ups read credential_index (kind, hash → account), which
// triggers keep in step with the tenant tables in the same transaction, and a
// verified email domain routes through sso_domain_routes (docs/scaling.md,
// "Lookups before the tenant is known"). These tests change credentials every
// way the API can and check that the index mirrors the tables exactly.
let t: TestApp;
let db: Client;

beforeAll(async () => {
  t = await startApp();
  db = await ownerClient();
});
afterAll(async () => {
  await db?.end();
  await t?.close();
});

const sha = (secret: string) => createHash('sha256').update(secret).digest();
const sessionToken = (cookie: string) => /at_session=([^;]+)/.exec(cookie)?.[1] as string;

/** Credentials the index lacks and index rows nothing backs, across every tenant: both lists must stay empty. */
async function drift(): Promise<string[]> {
  const { rows } = await db.query<{ problem: string }>(`
    WITH creds AS (
      SELECT 'api_key' AS kind, key_hash AS hash, account_id FROM api_keys
      UNION ALL SELECT 'session', token_hash, account_id FROM sessions
      UNION ALL SELECT 'invitation', token_hash, account_id FROM invitations
      UNION ALL SELECT 'scim_token', token_hash, account_id FROM scim_tokens
    )
    SELECT CASE WHEN ci.kind IS NULL THEN 'unindexed ' || c.kind ELSE 'stale ' || ci.kind END AS problem
    FROM creds c FULL JOIN credential_index ci ON ci.kind = c.kind AND ci.hash = c.hash AND ci.account_id = c.account_id
    WHERE c.kind IS NULL OR ci.kind IS NULL
    UNION ALL
    SELECT CASE WHEN r.domain IS NULL THEN 'unrouted domain ' || d.domain ELSE 'stale route ' || r.domain END
    FROM (SELECT domain, account_id FROM sso_domains WHERE verified_at IS NOT NULL) d
    FULL JOIN sso_domain_routes r ON r.domain = d.domain AND r.account_id = d.account_id
    WHERE d.domain IS NULL OR r.domain IS NULL`);
  return rows.map((r) => r.problem);
}

async function indexed(kind: string, secret: string): Promise<string | null> {
  return (await db.query<{ account_id: string }>('SELECT account_id FROM credential_index WHERE kind = $1 AND hash = $2', [kind, sha(secret)])).rows[0]?.account_id ?? null;
}

it('follows keys, sessions, invitations and SCIM tokens as they are made, rotated, used and ended', async () => {
  const x = await createTenant(t, 'enterprise', 'Index Co');
  expect(await indexed('api_key', x.key)).toBe(x.accountId);
  expect(await indexed('session', sessionToken(x.owner.cookie))).toBe(x.accountId);

  // Rotation swaps the hash: the old secret leaves the index and stops working.
  const made = await call(t.url, 'POST', '/v1/api-keys', { session: x.owner, body: { name: 'rotating', scopes: ['events:write'] } });
  const rotated = await call(t.url, 'POST', `/v1/api-keys/${made.body.id}/rotate`, { session: x.owner });
  expect(rotated.status).toBe(200);
  expect(await indexed('api_key', made.body.key)).toBeNull();
  expect(await indexed('api_key', rotated.body.key)).toBe(x.accountId);
  expect((await call(t.url, 'POST', '/v1/events', { key: made.body.key, body: event() })).status).toBe(401);
  expect((await call(t.url, 'POST', '/v1/events', { key: rotated.body.key, body: event() })).status).toBe(202);
  // Revocation keeps the row (and its index entry, so the hash is never reused), and the key stops.
  expect((await call(t.url, 'DELETE', `/v1/api-keys/${made.body.id}`, { session: x.owner })).status).toBe(204);
  await new Promise((r) => setTimeout(r, 1100)); // the resolver trusts a key for a second
  expect((await call(t.url, 'POST', '/v1/events', { key: rotated.body.key, body: event() })).status).toBe(401);

  // A second sign-in, then its sign-out: the session's entry goes with it.
  const second = sessionFrom(await login(t, x.email, x.password));
  expect(await indexed('session', sessionToken(second.cookie))).toBe(x.accountId);
  expect((await call(t.url, 'POST', '/v1/auth/logout', { session: second })).status).toBe(204);
  expect(await indexed('session', sessionToken(second.cookie))).toBeNull();
  expect((await call(t.url, 'GET', '/v1/account', { session: second })).status).toBe(401);

  const inv = await call(t.url, 'POST', '/v1/members/invitations', { session: x.owner, body: { email: uniqueEmail('indexed'), role: 'member' } });
  expect(await indexed('invitation', inv.body.token)).toBe(x.accountId);
  const joined = await call(t.url, 'POST', `/v1/invitations/${inv.body.token}/accept`, { body: { name: 'Ida', password: 'a long enough password' } });
  expect(joined.status).toBe(201);
  expect(await indexed('session', sessionToken(sessionFrom(joined).cookie))).toBe(x.accountId);

  const scim = await call(t.url, 'POST', '/v1/scim/tokens', { session: x.owner, body: { name: 'Okta' } });
  expect(await indexed('scim_token', scim.body.token)).toBe(x.accountId);
  expect((await call(t.url, 'GET', '/scim/v2/Users', { key: scim.body.token })).status).toBe(200);
  // Last use is recorded by (account_id, id), for the token and for the session that made it.
  const listed = await until(() => call(t.url, 'GET', '/v1/scim/tokens', { key: x.key }), (r) => r.body.data.some((d: { id: string; last_used_at: string | null }) => d.id === scim.body.id && d.last_used_at));
  expect(listed.status).toBe(200);
  const seen = async () => (await db.query('SELECT last_seen_at FROM sessions WHERE account_id = $1 AND token_hash = $2', [x.accountId, sha(sessionToken(x.owner.cookie))])).rows[0]?.last_seen_at;
  expect(await until(seen, Boolean)).toBeInstanceOf(Date);
  expect((await call(t.url, 'DELETE', `/v1/scim/tokens/${scim.body.id}`, { key: x.key })).status).toBe(204);
  expect((await call(t.url, 'GET', '/scim/v2/Users', { key: scim.body.token })).status).toBe(401);

  expect(await drift()).toEqual([]);
});

it('refuses a secret whose hash another account already holds, and writes nothing', async () => {
  const x = await createTenant(t, 'premium', 'Holder Co');
  const y = await createTenant(t, 'premium', 'Copier Co');
  const copy = db.query("INSERT INTO api_keys (id, account_id, name, prefix, key_hash, scopes) VALUES ($1, $2, 'copy', 'at_copy', $3, '{events:write}')", [randomUUID(), y.accountId, sha(x.key)]);
  await expect(copy).rejects.toMatchObject({ code: '23505', constraint: 'credential_index_pkey' });
  const scimCopy = db.query("INSERT INTO scim_tokens (id, account_id, name, token_hash) VALUES ($1, $2, 'copy', $3)", [randomUUID(), y.accountId, sha(x.key)]);
  // Kinds are separate name spaces: a SCIM token cannot shadow an API key, and it finds no API key either.
  await expect(scimCopy).resolves.toBeDefined();
  expect((await db.query('SELECT count(*)::int AS n FROM api_keys WHERE account_id = $1 AND key_hash = $2', [y.accountId, sha(x.key)])).rows[0].n).toBe(0);
  expect(await indexed('api_key', x.key)).toBe(x.accountId);
  expect((await call(t.url, 'GET', '/v1/events', { key: x.key })).status).toBe(200);
  await db.query('DELETE FROM scim_tokens WHERE account_id = $1', [y.accountId]);
  expect(await drift()).toEqual([]);
});

it('is the only way a secret is found: an entry taken away stops the key, put back restores it', async () => {
  const x = await createTenant(t, 'premium', 'Route Co');
  const key = await call(t.url, 'POST', '/v1/api-keys', { session: x.owner, body: { name: 'routed', scopes: ['events:read'] } });
  await db.query('BEGIN');
  try {
    await db.query("DELETE FROM credential_index WHERE kind = 'api_key' AND hash = $1", [sha(key.body.key)]);
    // The row is still in api_keys, but no look-up reaches it.
    expect((await db.query('SELECT count(*)::int AS n FROM app_auth_api_key($1)', [sha(key.body.key)])).rows[0].n).toBe(0);
  } finally {
    await db.query('ROLLBACK');
  }
  expect((await db.query('SELECT account_id FROM app_auth_api_key($1)', [sha(key.body.key)])).rows).toEqual([{ account_id: x.accountId }]);
  expect((await call(t.url, 'GET', '/v1/events', { key: key.body.key })).status).toBe(200);
});

it('keeps both tables out of the application role’s reach', async () => {
  const app = await appRoleClient(t);
  try {
    for (const sql of ['SELECT * FROM credential_index', 'SELECT * FROM sso_domain_routes', "DELETE FROM credential_index WHERE kind = 'session'", "INSERT INTO sso_domain_routes VALUES ('x.test', gen_random_uuid())"]) {
      await expect(app.query(sql)).rejects.toThrow(/permission denied/);
    }
  } finally {
    await app.end();
  }
});
