import type { INestApplicationContext } from '@nestjs/common';
import { type ApiUnderTest, call, createTenant, spawnApi, spawnWorker, type Tenant } from '@audit-trail/testing';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  url: string;
}

/** A real HTTP receiver on 127.0.0.1. `answer` decides each request's status (or 'hang' to never answer). */
async function receiver(answer: (n: number, r: Received) => number | 'hang' = () => 200) {
  const requests: Received[] = [];
  const accepted: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '' };
      requests.push(r);
      const status = answer(requests.length, r);
      if (status === 'hang') return;
      if (status >= 200 && status < 300) accepted.push(r);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: true }));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, accepted, server };
}

async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Ingest n events with distinct, increasing times: their ids sort in the order sent. */
async function ingest(x: Tenant, n: number, action = 'document.update', extra: Record<string, unknown> = {}): Promise<string[]> {
  const base = Date.now() - n - 1000;
  const events = Array.from({ length: n }, (_, i) => ({ action, occurred_at: new Date(base + i).toISOString(), actor: { type: 'user', id: `u_${i}` }, metadata: { i }, ...extra }));
  const res = await call(t.url, 'POST', '/v1/events', { key: x.key, body: { events } });
  expect(res.status).toBe(202);
  return res.body.ids;
}

/** Ids of the events a webhook received, leaving out the platform's own destination.* events (they are forwarded too). */
const webhookIds = (rs: Received[]) =>
  rs.flatMap((r) => (JSON.parse(r.body) as { events: { id: string; action: string }[] }).events.filter((e) => !e.action.startsWith('destination.')).map((e) => e.id));

/** This test's own events among those received, in arrival order (duplicates kept): other events of the log may be forwarded too. */
const ours = (rs: Received[], ids: string[]) => {
  const set = new Set(ids);
  return webhookIds(rs).filter((id) => set.has(id));
};

async function destination(x: Tenant, body: Record<string, unknown>) {
  const res = await call(t.url, 'POST', '/v1/destinations', { key: x.key, body });
  if (res.status !== 201) throw new Error(`destination ${res.status} ${res.text}`);
  return res.body as { id: string; secret?: string };
}

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
    const keys = await redis.keys(`${env.QUEUE_PREFIX}:*`);
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
