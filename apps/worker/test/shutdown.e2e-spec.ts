import { type RedisServer, startRedisServer, startWorker, waitUntil } from '@audit-trail/testing';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// How the built worker stops on SIGTERM. A graceful stop lets BullMQ finish
// the running jobs and close its connections, which needs Redis: with Redis
// gone it used to wait for ever. WORKER_SHUTDOWN_MS bounds it. Leaving past
// the deadline is the same as a crash to the queues (the chaos sample kills
// workers mid-export and mid-delivery and loses nothing).
let redis: RedisServer;
let worker: ChildProcess | undefined;
const exportDir = mkdtempSync(join(tmpdir(), 'worker-stop-'));

beforeEach(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  worker = undefined;
  await redis.close();
});
afterAll(() => rmSync(exportDir, { recursive: true, force: true }));

async function start(shutdownMs: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = await startWorker({ REDIS_URL: redis.url, QUEUE_PREFIX: `test-stop-${randomUUID().slice(0, 8)}`, EXPORT_DIR: exportDir, WORKER_SHUTDOWN_MS: String(shutdownMs), LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, { pipe: true });
  worker = child;
  let text = '';
  child.stdout?.on('data', (b: Buffer) => (text += b.toString()));
  return { child, output: () => text };
}

/** SIGTERM, then how the process ended; fails if it is still there after `ms` (it is then SIGKILLed by afterEach). */
async function terminate(child: ChildProcess, ms: number): Promise<{ code: number | null; signal: string | null }> {
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]);
  clearTimeout(timer);
  if (!result) throw new Error(`the worker was still running ${ms} ms after SIGTERM`);
  return result;
}

it('stops on SIGTERM without reaching its deadline when Redis is there', async () => {
  const { child, output } = await start(60_000);
  const end = await terminate(child, 30_000);
  // Nest re-raises the signal once its shutdown hooks are done.
  expect(end).toEqual({ code: null, signal: 'SIGTERM' });
  expect(output()).not.toContain('did not stop within');
});

it('leaves within WORKER_SHUTDOWN_MS when Redis is gone, says what it was waiting for, and warns once', async () => {
  const { child, output } = await start(2_000);
  await redis.close();
  await waitUntil(() => Promise.resolve(output().includes('Redis unavailable')), 'the worker notices Redis is gone');
  // Let a few reconnection attempts pass: each one used to print a warning or a stack trace.
  await new Promise((r) => setTimeout(r, 3_000));
  const end = await terminate(child, 20_000);
  expect(end).toEqual({ code: 1, signal: null });
  const lines = output()
    .split('\n')
    .filter((l) => l.trim());
  const stopLine = lines.find((l) => l.includes('did not stop within'));
  expect(stopLine).toBeDefined();
  const { msg, level } = JSON.parse(stopLine as string) as { msg: string; level: number };
  expect(level).toBe(50);
  expect(msg).toContain('WORKER_SHUTDOWN_MS (2000 ms)');
  expect(msg).toContain('Redis (out of reach)');
  // Only JSON log lines, and one warning for the outage.
  expect(lines.filter((l) => !l.startsWith('{'))).toEqual([]);
  expect(lines.filter((l) => l.includes('Redis unavailable'))).toHaveLength(1);
  expect(lines.filter((l) => l.includes('ECONNREFUSED') && !l.includes('Redis unavailable'))).toEqual([]);
}, 60_000);
