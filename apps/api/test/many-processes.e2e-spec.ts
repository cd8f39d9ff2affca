import { bullConnection, closeBullConnection, QUEUES, queuePrefix, SCHEDULERS } from '@audit-trail/queues';
import { Queue, QueueEvents } from 'bullmq';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createTenant, event, freePort, ownerClient, spawnApi, startApp, startWorker, stopChild, type TestApp } from './harness';

// Many stateless processes on one Redis and one PostgreSQL: schedules fire
// once however many workers run them, and an api stopped with SIGTERM under
// load answers what it accepted and loses none of it.

describe('two workers', () => {
  const prefix = `test-twice-${randomUUID().slice(0, 8)}`;
  const env = { QUEUE_PREFIX: prefix, FORWARDING_ENABLED: 'true', FORWARDING_TICK_MS: '300' };
  const workers: ChildProcess[] = [];
  afterAll(async () => {
    for (const w of workers) await stopChild(w);
  });

  it('run each scheduled tick once, and keep one scheduler per schedule', async () => {
    workers.push(await startWorker({ ...env, WORKER_HEALTH_PORT: String(await freePort()) }), await startWorker({ ...env, WORKER_HEALTH_PORT: String(await freePort()) }));
    const connection = bullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const opts = { connection, prefix: queuePrefix(prefix, QUEUES.forwarding) };
    const events = new QueueEvents(QUEUES.forwarding, opts);
    const queue = new Queue(QUEUES.forwarding, opts);
    try {
      await events.waitUntilReady();
      const ticks: string[] = [];
      events.on('completed', ({ jobId }) => {
        if (jobId.startsWith(`repeat:${SCHEDULERS.forwarding}:`)) ticks.push(jobId);
      });
      const window = 3000;
      await new Promise((r) => setTimeout(r, window));
      // Both workers upserted the same scheduler: one exists.
      expect((await queue.getJobSchedulers()).filter((s) => s.key === SCHEDULERS.forwarding || s.id === SCHEDULERS.forwarding)).toHaveLength(1);
      // Each tick ran once, on one of the two: no id twice, and about one per 300 ms (two schedulers would double it).
      expect(new Set(ticks).size).toBe(ticks.length);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(ticks.length).toBeLessThanOrEqual(window / 300 + 2);
    } finally {
      await events.close();
      await queue.close();
      closeBullConnection(connection);
    }
  });
});

describe('an api stopped under load', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('finishes the requests it accepted on SIGTERM and loses none of them', async () => {
    const x = await createTenant(t, 'premium', 'Drain Co');
    const child = await spawnApi({ QUEUE_PREFIX: `test-drain-${randomUUID().slice(0, 8)}` });
    const acked: string[] = [];
    const answers = new Map<string, number>();
    let stop = false;
    let termAt = 0;
    let afterTerm = 0;
    const send = async () => {
      while (!stop) {
        try {
          const res = await fetch(`${child.url}/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${x.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ events: Array.from({ length: 200 }, () => event({ action: 'drain.test' })) }),
          });
          const body = (await res.json().catch(() => null)) as { ids?: string[] } | null;
          // Arriving while it stops: refused in problem+json, with Retry-After, so the client tries again elsewhere.
          if (res.status === 503 && res.headers.get('content-type')?.startsWith('application/problem+json') && res.headers.get('retry-after')) answers.set('503 problem', (answers.get('503 problem') ?? 0) + 1);
          else answers.set(String(res.status), (answers.get(String(res.status)) ?? 0) + 1);
          if (res.status === 202 && body?.ids) {
            acked.push(...body.ids);
            if (termAt && Date.now() >= termAt) afterTerm++;
          }
        } catch (err) {
          // No answer: the port is closed (refused), or a kept-alive socket was closed as the request went out. Not acknowledged, so not owed.
          const kind = (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED' ? 'refused' : 'closed';
          answers.set(kind, (answers.get(kind) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const senders = Array.from({ length: 6 }, send);
    // Under load means acceptances are flowing: wait for them (a fresh process on a busy machine can take
    // more than a fixed pause to answer its first batch), then let a few more requests get under way.
    const flowing = Date.now() + 15_000;
    while (acked.length === 0 && Date.now() < flowing) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const before = acked.length;
    termAt = Date.now();
    child.child.kill('SIGTERM');
    const exit = await new Promise<string>((r) => child.child.once('exit', (c, sig) => r(String(c ?? sig))));
    stop = true;
    await Promise.all(senders);
    // Nest re-raises the signal once it has shut down cleanly.
    expect(['0', 'SIGTERM']).toContain(exit);
    // Load was flowing (and if not, say what the api answered instead).
    if (before === 0) throw new Error(`no batch was accepted before SIGTERM; answers: ${JSON.stringify(Object.fromEntries(answers))}`);
    // Requests in flight at SIGTERM were finished and answered, not dropped.
    expect(afterTerm).toBeGreaterThan(0);
    // No request the api took failed: every answer was an acceptance or a clear "go elsewhere" (the rest found no process).
    expect([...answers.keys()].filter((k) => !['202', '503 problem', 'refused', 'closed'].includes(k))).toEqual([]);
    const c = await ownerClient();
    try {
      const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE account_id = $1 AND id = ANY($2::uuid[])', [x.accountId, acked]);
      expect(rows[0].n).toBe(acked.length);
    } finally {
      await c.end();
    }
  });
});
