import { loadConfig } from '@audit-trail/config';
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ApiUnderTest } from './tenants';

const ROOT = join(__dirname, '../../..');

/**
 * The real worker as a child process (the built apps/worker/dist, as an
 * operator runs it), sharing the test's database, Redis prefix and export
 * directory. Stop it with kill().
 */
export function spawnWorker(env: Record<string, string> = {}, inherit = Boolean(process.env.DEBUG_CHILD)): ChildProcess {
  return spawnBuiltWorker(env, inherit ? 'inherit' : 'ignore');
}

function spawnBuiltWorker(env: Record<string, string>, stdout: 'inherit' | 'ignore' | 'pipe'): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'apps/worker/dist/main.js')], {
    env: { ...process.env, WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', stdout, stdout === 'pipe' ? (process.env.DEBUG_CHILD ? 'inherit' : 'ignore') : stdout],
  });
}

/**
 * The real worker as a child process, resolved once its health endpoint
 * answers (it listens once the processors and schedules are up). Stop it
 * with stopChild(). `pipe`: its log lines come on child.stdout (read them).
 */
export async function startWorker(env: Record<string, string> = {}, opts: { pipe?: boolean } = {}): Promise<ChildProcess> {
  const port = env.WORKER_HEALTH_PORT && env.WORKER_HEALTH_PORT !== '0' ? Number(env.WORKER_HEALTH_PORT) : await freePort();
  const child = spawnBuiltWorker({ ...env, WORKER_HEALTH_PORT: String(port) }, opts.pipe ? 'pipe' : process.env.DEBUG_CHILD ? 'inherit' : 'ignore');
  const state: { exited: string | null } = { exited: null };
  const onExit = (code: number | null, signal: string | null) => (state.exited = String(code ?? signal));
  child.once('exit', onExit);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (state.exited !== null) throw new Error(`the worker exited with ${state.exited} before it was ready (DEBUG_CHILD=1 shows why)`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the worker did not answer /healthz within 30 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.off('exit', onExit);
  return child;
}

/**
 * SIGTERM (or another signal), then wait for the process to be gone. One
 * that is still there after `ms` is SIGKILLed, and the stop fails saying so:
 * a process that ignores its stop signal is a defect, not a slow test.
 */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', ms = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([gone.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), ms)))]);
  clearTimeout(timer);
  if (!late) return;
  child.kill('SIGKILL');
  await gone;
  throw new Error(`process ${child.pid} was still running ${ms} ms after ${signal}; it was SIGKILLed`);
}

/** A loopback port nobody listens on at this moment. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The real API as a child process (the built apps/api/dist), for the tiers
 * that test something else through it: the worker, the console. Resolves
 * once it answers /healthz; close() stops it with SIGTERM and waits.
 */
export async function spawnApi(env: Record<string, string> = {}, inherit = Boolean(process.env.DEBUG_CHILD)): Promise<ApiUnderTest & { child: ChildProcess }> {
  const port = await freePort();
  const fullEnv = { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' } as Record<string, string>;
  const config = loadConfig(fullEnv);
  const child = spawn(process.execPath, [join(ROOT, 'apps/api/dist/main.js')], { env: fullEnv, stdio: inherit ? 'inherit' : 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const state: { exited: number | null } = { exited: null };
  const gone = new Promise<void>((resolve) => child.once('exit', (code) => ((state.exited = code ?? -1), resolve())));
  const end = Date.now() + 30_000;
  for (;;) {
    if (state.exited !== null) throw new Error(`the api exited with ${state.exited} before it answered (DEBUG_CHILD=1 shows its output)`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error('the api did not answer /healthz within 30 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    config,
    url,
    child,
    async close() {
      if (state.exited === null) child.kill('SIGTERM');
      await gone;
    },
  };
}

/** SIGKILL every child that still runs, wait for each to be gone, then remove `dir`. */
export async function killAllAndRemove(children: ChildProcess[], dir: string): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
}

/** Poll `check` every 100 ms until it is true (errors count as false); throws after `ms`. */
export async function waitUntil(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
