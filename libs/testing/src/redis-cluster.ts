import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, killAllAndRemove, waitUntil } from './processes';

const run = promisify(execFile);

export interface RedisCluster {
  /** `redis-cluster://127.0.0.1:p1,127.0.0.1:p2,…` for REDIS_URL. */
  url: string;
  ports: number[];
  close(): Promise<void>;
}

/**
 * A real Redis Cluster of `masters` masters (no replicas) on loopback:
 * redis-server --cluster-enabled in temp folders, joined with
 * `redis-cli --cluster create`. Waits until every node says the cluster is ok;
 * close() stops the servers and removes the folders.
 */
export async function startRedisCluster(masters = 3, extraArgs: string[] = []): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const close = () => killAllAndRemove(children, dir);
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      ports.push(port);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', ...extraArgs];
      children.push(spawn('redis-server', args, { stdio: 'ignore' }));
    }
    for (const port of ports) await waitUntil(async () => (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.trim() === 'PONG', `redis ${port}`);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) await waitUntil(async () => (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout.includes('cluster_state:ok'), `cluster state on ${port}`);
  } catch (err) {
    await close();
    throw err;
  }
  return { url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports, close };
}

