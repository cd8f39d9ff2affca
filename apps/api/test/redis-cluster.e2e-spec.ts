import { QUEUES, queuePrefix, redisStartupProblem } from '@audit-trail/queues';
import Redis, { Cluster } from 'ioredis';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, createTenant, download, event, freePort, type RedisCluster, spawnApi, startApp, startRedisCluster, startWorker, stopChild, type Tenant, type TestApp, waitForExport } from './harness';

// The api and worker on a real three-master Redis Cluster (REDIS_URL=
// redis-cluster://…): every queue's keys in one slot, the queues on different
// slots, our own multi-key transactions inside one slot, and the eviction
// check on every master. `npm run test:cluster` runs the whole API tier so.
let cluster: RedisCluster;
let t: TestApp;
let worker: ChildProcess;
let x: Tenant;
const exportDir = mkdtempSync(join(tmpdir(), 'cluster-exports-'));
const env = () => ({ REDIS_URL: cluster.url, QUEUE_PREFIX: `test-cluster-${randomUUID().slice(0, 8)}`, EXPORT_DIR: exportDir });
let e: ReturnType<typeof env>;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  e = env();
  t = await startApp(e);
  worker = await startWorker(e);
  x = await createTenant(t, 'premium', 'Cluster Co');
});
afterAll(async () => {
  if (worker) await stopChild(worker);
  await t?.close();
  await cluster?.close();
  rmSync(exportDir, { recursive: true, force: true });
});

/** Every key matching `pattern` on every master. */
async function keysOnCluster(pattern: string): Promise<{ port: number; key: string }[]> {
  const out: { port: number; key: string }[] = [];
  for (const port of cluster.ports) {
    const node = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    await node.connect();
    for (const key of await node.keys(pattern)) out.push({ port, key });
    node.disconnect();
  }
  return out;
}

it('ingests, queries and exports through a cluster, with each queue in its own slot', async () => {
  const events = Array.from({ length: 50 }, (_, i) => event({ action: 'cluster.test', metadata: { i } }));
  expect((await call(t.url, 'POST', '/v1/events', { key: x.key, body: { events } })).status).toBe(202);
  const page = await call(t.url, 'GET', '/v1/events?action=cluster.test&limit=100', { key: x.key });
  expect(page.body.entries).toHaveLength(50);
  const exp = await call(t.url, 'POST', '/v1/exports', { key: x.key, body: { format: 'ndjson', action: ['cluster.test'] } });
  expect(exp.status).toBe(202);
  const done = await waitForExport(t, x, exp.body.id);
  expect(done).toMatchObject({ status: 'completed', row_count: 50 });
  const file = await download(done.download_url);
  expect(file.body.toString('utf8').trim().split('\n')).toHaveLength(50);

  // BullMQ's keys of the exports queue are all under its tag, on the one master that owns that slot.
  const exportKeys = await keysOnCluster(`${queuePrefix(e.QUEUE_PREFIX, QUEUES.exports)}:*`);
  expect(exportKeys.length).toBeGreaterThan(0);
  expect(new Set(exportKeys.map((k) => k.port)).size).toBe(1);
  // The five queues hash to five different slots, and over more than one master.
  const probe = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
  try {
    const slots = await Promise.all(Object.values(QUEUES).map((q) => probe.cluster('KEYSLOT', queuePrefix(e.QUEUE_PREFIX, q))));
    expect(new Set(slots).size).toBe(Object.values(QUEUES).length);
    const schedulerKeys = await keysOnCluster(`{${e.QUEUE_PREFIX}:*`);
    expect(new Set(schedulerKeys.map((k) => k.port)).size).toBeGreaterThan(1);
  } finally {
    probe.disconnect();
  }
});

it('keeps read windows (a multi-key transaction) in one slot', async () => {
  await call(t.url, 'GET', '/v1/events?action=cluster.read&limit=5', { key: x.key });
  const windows = await keysOnCluster(`{${e.QUEUE_PREFIX}:reads}:*`);
  // The window and the due-list both exist, so the transaction ran (a cross-slot one fails on a cluster).
  expect(windows.some((k) => k.key.endsWith(':due'))).toBe(true);
  expect(windows.some((k) => k.key.includes(':w:'))).toBe(true);
  expect(new Set(windows.map((k) => k.port)).size).toBe(1);
});

it('refuses to start when any master may evict keys, and says which', async () => {
  expect(await redisStartupProblem(cluster.url)).toBeNull();
  const victim = cluster.ports[1];
  const node = new Redis({ port: victim, host: '127.0.0.1' });
  try {
    await node.config('SET', 'maxmemory-policy', 'allkeys-lru');
    expect(await redisStartupProblem(cluster.url)).toContain(`127.0.0.1:${victim} has maxmemory-policy allkeys-lru`);
    await expect(spawnApi({ ...e, PORT: String(await freePort()) })).rejects.toThrow(/exited with 3/);
  } finally {
    await node.config('SET', 'maxmemory-policy', 'noeviction');
    node.disconnect();
  }
  expect(await redisStartupProblem('redis://127.0.0.1:1')).toMatch(/does not answer/);
});
