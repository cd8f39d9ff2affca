import { loadConfig } from '@audit-trail/config';
import { type ChildProcess, spawn } from 'node:child_process';
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
 * The real worker as a child process, resolved once it says it is ready (its
 * processors and schedules are up). Stop it with stopChild().
 */
export async function startWorker(env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawnBuiltWorker(env, 'pipe');
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('the worker did not say it was ready within 30 s')), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited with ${code} before it was ready (DEBUG_CHILD=1 shows why)`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (process.env.DEBUG_CHILD) process.stdout.write(chunk);
      if (seen === 'ready') return; // keep reading, or the child blocks on a full pipe
      seen += chunk.toString('utf8');
      if (seen.includes('worker ready')) {
        seen = 'ready';
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.removeAllListeners('exit');
  return child;
}

/** SIGTERM (or another signal), then wait for the process to be gone. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await gone;
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
