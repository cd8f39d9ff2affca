import type { INestApplicationContext } from '@nestjs/common';
import {
  type ApiUnderTest,
  closeReceivers,
  createDestination,
  createTenant,
  ingestOrdered,
  ours,
  receiver as makeReceiver,
  spawnApi,
  spawnWorker,
  type Tenant,
  until,
} from '@audit-trail/testing';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import Redis from 'ioredis';
import { startWorkerContext } from './worker-harness';

// The worker under test: in this process (its queue's keys get wiped) and as child processes the test kills.
// The API runs as a child process: it is only how tenants send events and create destinations.
const fast = { FORWARDING_ENABLED: 'true', FORWARDING_TICK_MS: '150', FORWARDING_BACKOFF_MS: '50', FORWARDING_TIMEOUT_MS: '1000', FORWARDING_LOCK_MS: '2000', WORKER_HEARTBEAT_MS: '500' };
const env = { QUEUE_PREFIX: `test-fwd-${randomUUID().slice(0, 8)}`, ...fast };
let t: ApiUnderTest;
let worker: INestApplicationContext;
const servers: Server[] = [];

beforeAll(async () => {
  t = await spawnApi(env);
  worker = await startWorkerContext(env);
});
afterAll(async () => {
  await worker?.close();
  await t?.close();
  closeReceivers(servers);
});

const receiver = (answer?: Parameters<typeof makeReceiver>[1]) => makeReceiver(servers, answer);
const ingest = (x: Tenant, n: number, action?: string, extra?: Record<string, unknown>) => ingestOrdered(t, x, n, action, extra);
const destination = (x: Tenant, body: Record<string, unknown>) => createDestination(t, x, body);

describe('nothing is lost when Redis is flushed or the worker is killed', () => {
  const killEnv = { QUEUE_PREFIX: `test-fwdk-${randomUUID().slice(0, 8)}`, ...fast };
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('resumes after the queue’s Redis keys are wiped mid-stream, with no gap', async () => {
    const x = await createTenant(t, 'premium', 'Flush Co');
    const rx = await receiver();
    await destination(x, { type: 'webhook', name: 'W', url: rx.url, secret: 'whsec_flush-0123456789a' });
    const first = await ingest(x, 20);
    await until(() => ours(rx.accepted, first).length, (n) => n >= 20);
    const redis = new Redis(t.config.REDIS_URL);
    const keys = await redis.keys(`{${env.QUEUE_PREFIX}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    const second = await ingest(x, 20);
    await until(() => ours(rx.accepted, [...first, ...second]).length, (n) => n >= 40, 30_000);
    expect(ours(rx.accepted, [...first, ...second])).toEqual([...first, ...second]);
  });

  it('a worker SIGKILLed mid-batch leaves no gap: the next worker sends from the cursor', async () => {
    // Only child workers deliver from here on.
    await worker.close();
    const x = await createTenant(t, 'premium', 'Kill Co');
    let stall = true;
    const rx = await receiver(() => (stall ? 'hang' : 200));
    await destination(x, { type: 'webhook', name: 'W', url: rx.url, secret: 'whsec_kill-0123456789ab' });
    const w1 = spawnWorker({ ...killEnv });
    children.push(w1);
    const ids = await ingest(x, 30);
    await until(() => rx.requests.length, (n) => n >= 1, 30_000);
    w1.kill('SIGKILL');
    await new Promise((r) => w1.once('exit', r));
    stall = false;
    const w2 = spawnWorker({ ...killEnv });
    children.push(w2);
    await until(() => ours(rx.accepted, ids).length, (n) => n >= 30, 30_000);
    expect(ours(rx.accepted, ids)).toEqual(ids);
    expect(ours(rx.requests, ids).slice(0, 30)).toEqual(ids);
  }, 90_000);
});
