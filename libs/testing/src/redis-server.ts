import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { freePort, killAllAndRemove, waitUntil } from './processes';

export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>` for REDIS_URL. */
  url: string;
  /** SIGKILL the server (Redis gone, as in a crash) and remove its folder; safe to call again. */
  close(): Promise<void>;
}

/** A redis-server of the test's own on a free loopback port, in a temp folder, for tests that take Redis away. */
export async function startRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-own-'));
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const close = () => killAllAndRemove([child], dir);
  try {
    await waitUntil(
      () =>
        new Promise<boolean>((resolve) => {
          const s = createConnection(port, '127.0.0.1', () => (s.end(), resolve(true)));
          s.once('error', () => resolve(false));
        }),
      'redis-server listening',
    );
  } catch (err) {
    await close();
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    close,
  };
}
