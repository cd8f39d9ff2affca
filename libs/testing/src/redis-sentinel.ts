import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, killAllAndRemove, waitUntil } from './processes';

const run = promisify(execFile);

export interface RedisSentinelSet {
  /** `redis-sentinel://127.0.0.1:<sentinel>/<name>` for REDIS_URL. */
  url: string;
  name: string;
  masterPort: number;
  replicaPort: number;
  sentinelPort: number;
  /** SIGKILL the current master (the first one started). */
  killMaster(): void;
  /** The port Sentinel names as master now. */
  currentMaster(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A Redis master, one replica of it and one Sentinel watching them, on
 * loopback in a temp folder (quorum 1, down after 1 s, so a failover takes
 * a few seconds). close() stops all three and removes the folder.
 */
export async function startRedisSentinel(name = 'audit'): Promise<RedisSentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-'));
  const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  const common = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'];
  const close = () => killAllAndRemove(children, dir);
  try {
    children.push(spawn('redis-server', ['--port', String(masterPort), ...common, '--dbfilename', 'm.rdb'], { stdio: 'ignore' }));
    children.push(spawn('redis-server', ['--port', String(replicaPort), ...common, '--dbfilename', 'r.rdb', '--replicaof', '127.0.0.1', String(masterPort)], { stdio: 'ignore' }));
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    children.push(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
    await waitUntil(async () => (await run('redis-cli', ['-p', String(replicaPort), 'info', 'replication'])).stdout.includes('master_link_status:up'), 'replica in sync');
    await waitUntil(async () => (await run('redis-cli', ['-p', String(sentinelPort), 'sentinel', 'replicas', name])).stdout.includes(String(replicaPort)), 'sentinel sees the replica');
  } catch (err) {
    await close();
    throw err;
  }
  return {
    url: `redis-sentinel://127.0.0.1:${sentinelPort}/${name}`,
    name,
    masterPort,
    replicaPort,
    sentinelPort,
    killMaster: () => children[0].kill('SIGKILL'),
    async currentMaster() {
      const out = (await run('redis-cli', ['-p', String(sentinelPort), 'sentinel', 'get-master-addr-by-name', name])).stdout.trim().split('\n');
      return Number(out[1]);
    },
    close,
  };
}

