import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, createTenant, event, freePort, type RedisSentinelSet, startApp, startRedisSentinel, startWorker, stopChild, type Tenant, type TestApp, waitForExport } from './harness';

// REDIS_URL=redis-sentinel://…/<name>: the api and worker find the master
// through a real Sentinel, and follow it when Sentinel fails over to the
// replica after the master is SIGKILLed.
let sentinel: RedisSentinelSet;
let t: TestApp;
let worker: ChildProcess;
let x: Tenant;
const exportDir = mkdtempSync(join(tmpdir(), 'sentinel-exports-'));

beforeAll(async () => {
  sentinel = await startRedisSentinel();
  const env = { REDIS_URL: sentinel.url, QUEUE_PREFIX: `test-sentinel-${randomUUID().slice(0, 8)}`, EXPORT_DIR: exportDir, EXPORT_LOCK_MS: '2000', WORKER_HEALTH_PORT: String(await freePort()) };
  t = await startApp(env);
  worker = await startWorker(env);
  x = await createTenant(t, 'premium', 'Sentinel Co');
}, 60_000);

// As long as beforeAll: on a loaded CI machine this teardown (worker, api and Sentinel, after a failover) once took over the default 30 s.
afterAll(async () => {
  if (worker) await stopChild(worker);
  await t?.close();
  await sentinel?.close();
  rmSync(exportDir, { recursive: true, force: true });
}, 60_000);

/** Request an export (a 503 while the api has not found the new master yet is retried, as a client would) and wait for it. */
async function exportOf(action: string): Promise<number> {
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await call(t.url, 'POST', '/v1/exports', { key: x.key, body: { format: 'ndjson', action: [action] } });
    statuses.push(res.status);
    if (res.status === 202) return (await waitForExport(t, x, res.body.id, 'completed', 45_000)).row_count as number;
    if (res.status !== 503) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`export request answered ${statuses.join(', ')}`);
}

it('runs queues through the master Sentinel names, and follows a failover', async () => {
  expect(await sentinel.currentMaster()).toBe(sentinel.masterPort);
  const before = Array.from({ length: 20 }, () => event({ action: 'sentinel.before' }));
  expect((await call(t.url, 'POST', '/v1/events', { key: x.key, body: { events: before } })).status).toBe(202);
  expect(await exportOf('sentinel.before')).toBe(20);

  sentinel.killMaster();
  const deadline = Date.now() + 30_000;
  while ((await sentinel.currentMaster()) !== sentinel.replicaPort) {
    if (Date.now() > deadline) throw new Error('Sentinel did not fail over within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  // Ingest never needed Redis; the export queue (api) and its processor (worker) reconnect to the new master.
  const after = Array.from({ length: 30 }, () => event({ action: 'sentinel.after' }));
  expect((await call(t.url, 'POST', '/v1/events', { key: x.key, body: { events: after } })).status).toBe(202);
  const rows = await exportOf('sentinel.after');
  expect(rows).toBe(30);
}, 120_000);
