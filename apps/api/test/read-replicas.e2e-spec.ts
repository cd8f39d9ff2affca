import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runMigrations } from '@audit-trail/data';
import { call, createTenant, event, freePort, type PostgresPair, startApp, startPostgresPair, startWorker, stopChild, type Tenant, type TestApp, waitForExport, waitUntil } from './harness';

// Reads on a real streaming replica: a PostgreSQL primary and a standby made
// with pg_basebackup -R, started by this suite on their own ports. The API
// reads the log from the replica, except what a principal must see of its
// own writes; a replica that is paused, behind or stopped is skipped and no
// request fails.
const APP_PASSWORD = 'audit_app_replica_test';
let pair: PostgresPair;
let t: TestApp;
let worker: ChildProcess;
let acme: Tenant;
const exportDir = mkdtempSync(join(tmpdir(), 'audit-replica-exports-'));

beforeAll(async () => {
  pair = await startPostgresPair('audit_trail', async (ownerUrl) => {
    await runMigrations({ DATABASE_URL: ownerUrl, APP_DB_PASSWORD: APP_PASSWORD, RETENTION_DB_PASSWORD: 'audit_retention_replica_test' }, { silent: true });
  });
  const env = {
    DATABASE_URL: pair.primaryUrl,
    APP_DB_PASSWORD: APP_PASSWORD,
    RETENTION_DB_PASSWORD: 'audit_retention_replica_test',
    DATABASE_REPLICA_URLS: pair.replicaUrl('audit_app', APP_PASSWORD),
    REPLICA_MAX_LAG_MS: '1500',
    REPLICA_POLL_MS: '50',
    QUEUE_PREFIX: `test-replica-${randomUUID().slice(0, 8)}`,
    EXPORT_DIR: exportDir,
    WORKER_HEALTH_PORT: String(await freePort()),
  };
  t = await startApp(env);
  worker = await startWorker(env);
  acme = await createTenant(t, 'premium', 'Replica Co');
  await replicaIs(1);
}, 90_000);

afterAll(async () => {
  await t?.close();
  if (worker) await stopChild(worker);
  await pair?.close();
  rmSync(exportDir, { recursive: true, force: true });
});

async function metrics(): Promise<{ up: number; replica: number; primary: number; lag: number | null }> {
  const text = (await call(t.url, 'GET', '/metrics')).text;
  const num = (re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : null;
  };
  return {
    up: num(/^audit_db_replica_up\{[^}]*\} (\S+)$/m) ?? -1,
    replica: num(/^audit_db_reads_total\{target="replica"\} (\S+)$/m) ?? 0,
    primary: num(/^audit_db_reads_total\{target="primary"\} (\S+)$/m) ?? 0,
    lag: num(/^audit_db_replica_lag_seconds\{[^}]*\} (\S+)$/m),
  };
}

/** Until /metrics says the replica is in use (1) or skipped (0). */
const replicaIs = (up: 0 | 1, ms = 20_000) => waitUntil(async () => (await metrics()).up === up, up ? 'replica in use' : 'replica skipped', ms);

async function newKey(): Promise<string> {
  const res = await call(t.url, 'POST', '/v1/api-keys', { session: acme.owner, body: { name: `reader ${randomUUID().slice(0, 4)}`, scopes: ['events:read', 'events:write', 'exports:write'] } });
  expect(res.status).toBe(201);
  return res.body.key as string;
}

async function ingest(key: string, action: string, n = 1): Promise<string[]> {
  const res = await call(t.url, 'POST', '/v1/events', { key, body: { events: Array.from({ length: n }, () => event({ action })) } });
  expect(res.status).toBe(202);
  return res.body.ids as string[];
}

const seen = async (key: string, action: string) => ((await call(t.url, 'GET', `/v1/events?action=${action}&limit=100`, { key })).body.entries as unknown[]).length;

it('serves log reads from the replica, and says so in /metrics', async () => {
  const reader = await newKey();
  const before = await metrics();
  expect(before.up).toBe(1);
  expect(before.lag).not.toBeNull();
  for (let i = 0; i < 5; i++) expect((await call(t.url, 'GET', '/v1/events?limit=5', { key: reader })).status).toBe(200);
  const after = await metrics();
  expect(after.replica - before.replica).toBeGreaterThanOrEqual(5);
});

it('a principal reads its own writes at once, although the replica has not replayed them', async () => {
  const writer = await newKey();
  const other = await newKey();
  await replicaIs(1);
  await pair.onReplica('SELECT pg_wal_replay_pause()');
  try {
    const action = `ryw.${randomUUID().slice(0, 8)}`;
    const before = await metrics();
    await ingest(writer, action, 3);
    // The writer sees them at once: its read goes to the primary.
    expect(await seen(writer, action)).toBe(3);
    // Another key, which wrote nothing, is served by the paused replica while it is within the lag bound: it does not see them yet.
    const mid = await metrics();
    expect(mid.primary - before.primary).toBeGreaterThanOrEqual(1);
    const otherSees = await seen(other, action);
    // (Only when that read did go to the replica: on a slow machine the bound may already have passed.)
    if ((await metrics()).replica - mid.replica === 1) expect(otherSees).toBe(0);
    // Past REPLICA_MAX_LAG_MS the paused replica is skipped: everyone reads the primary, and nothing fails.
    await replicaIs(0);
    expect(await seen(other, action)).toBe(3);
    // An export requested now is exact: the worker does not read a replica that lacks the rows.
    const ex = await call(t.url, 'POST', '/v1/exports', { key: writer, body: { format: 'ndjson', action: [action] } });
    expect(ex.status).toBe(202);
    expect((await waitForExport(t, acme, ex.body.id)).row_count).toBe(3);
  } finally {
    await pair.onReplica('SELECT pg_wal_replay_resume()');
  }
  await replicaIs(1);
});

it('skips a replica that is down, with no request failing, and uses it again when it returns', async () => {
  const reader = await newKey();
  await replicaIs(1);
  await pair.stopReplica();
  try {
    // The first read may find the replica gone mid-request; it is answered from the primary all the same.
    for (let i = 0; i < 10; i++) expect((await call(t.url, 'GET', '/v1/events?limit=5', { key: reader })).status).toBe(200);
    await replicaIs(0);
    const before = await metrics();
    expect((await call(t.url, 'GET', '/v1/events?limit=5', { key: reader })).status).toBe(200);
    expect((await metrics()).primary - before.primary).toBeGreaterThanOrEqual(1);
  } finally {
    await pair.startReplica();
  }
  await replicaIs(1, 30_000);
  const before = await metrics();
  expect((await call(t.url, 'GET', '/v1/events?limit=5', { key: reader })).status).toBe(200);
  expect((await metrics()).replica - before.replica).toBe(1);
});

it('refuses a replica URL whose role bypasses row-level security, and reads from the primary', async () => {
  const owner = await startApp({
    DATABASE_URL: pair.primaryUrl,
    APP_DB_PASSWORD: APP_PASSWORD,
    DATABASE_REPLICA_URLS: pair.replicaUrl(),
    QUEUE_PREFIX: `test-replica-${randomUUID().slice(0, 8)}`,
  });
  try {
    const text = async () => (await call(owner.url, 'GET', '/metrics')).text;
    await new Promise((r) => setTimeout(r, 600));
    expect(await text()).toMatch(/^audit_db_replica_up\{[^}]*\} 0$/m);
    expect((await call(owner.url, 'GET', '/v1/events?limit=1', { key: acme.key })).status).toBe(200);
    expect(await text()).toMatch(/^audit_db_reads_total\{target="primary"\} [1-9]/m);
  } finally {
    await owner.close();
  }
});

it('another tenant’s event is 404 when read through the replica too', async () => {
  const other = await createTenant(t, 'premium', 'Replica Other');
  const [id] = await ingest(acme.key, 'tenancy.check');
  await replicaIs(1);
  const reader = await newKey();
  // A key that wrote nothing reads the replica: the event is there once replayed (milliseconds).
  await waitUntil(async () => (await call(t.url, 'GET', `/v1/events/${id}`, { key: reader })).status === 200, 'the event on the replica', 20_000);
  expect((await call(t.url, 'GET', `/v1/events/${id}`, { key: other.key })).status).toBe(404);
});
