import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, waitUntil } from './processes';

export interface PostgresPair {
  /** The owner's URL on the primary, database `db`. */
  primaryUrl: string;
  primaryPort: number;
  replicaPort: number;
  /** A URL on the replica for `user` (default the owner), database `db`. */
  replicaUrl(user?: string, password?: string): string;
  /** Run SQL as the superuser on the replica (pg_wal_replay_pause() and the like). */
  onReplica(sql: string): Promise<unknown[]>;
  stopReplica(): Promise<void>;
  startReplica(): Promise<void>;
  close(): Promise<void>;
}

/** PostgreSQL's server programs (initdb, pg_basebackup, postgres), newest installed major. */
export function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  const v = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a))[0] : null;
  if (!v) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install -y postgresql)');
  return join(base, v, 'bin');
}

/**
 * A PostgreSQL primary and one streaming replica of it, on loopback and in a
 * temp folder: initdb, then `pg_basebackup -R` (which writes the standby's
 * primary_conninfo and standby.signal), each on its own port. Runs the
 * servers as the postgres user when started as root. `before` runs against
 * the primary before the base backup is taken (create the database, migrate).
 * close() stops both and removes the folder.
 */
export async function startPostgresPair(db: string, before?: (ownerUrl: string) => Promise<void>): Promise<PostgresPair> {
  const bin = postgresBin();
  const asRoot = process.getuid?.() === 0;
  const as = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {};
  const dir = mkdtempSync(join(tmpdir(), 'audit-pg-pair-'));
  if (asRoot) {
    chmodSync(dir, 0o777);
    execFileSync('chown', ['postgres', dir]);
  }
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const children: { primary: ChildProcess | null; replica: ChildProcess | null } = { primary: null, replica: null };
  const start = (data: string, port: number) =>
    spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200', '-c', 'hot_standby_feedback=on'], { stdio: 'ignore', ...as });
  const stop = async (c: ChildProcess | null) => {
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGINT');
    await gone;
  };
  const close = async () => {
    await Promise.all([stop(children.replica), stop(children.primary)]);
    rmSync(dir, { recursive: true, force: true });
  };
  const url = (port: number, user = 'postgres', password?: string, database = db) => `postgres://${user}${password ? `:${password}` : ''}@127.0.0.1:${port}/${database}`;
  try {
    execFileSync(join(bin, 'initdb'), ['-D', join(dir, 'primary'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { stdio: 'ignore', ...as });
    children.primary = start(join(dir, 'primary'), primaryPort);
    await waitReady(url(primaryPort, 'postgres', undefined, 'postgres'), false);
    const c = new Client({ connectionString: url(primaryPort, 'postgres', undefined, 'postgres') });
    await c.connect();
    await c.query(`CREATE DATABASE "${db}"`);
    await c.end();
    await before?.(url(primaryPort));
    execFileSync(join(bin, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', join(dir, 'replica'), '-R', '-X', 'stream', '--no-sync', '-c', 'fast'], { stdio: 'ignore', ...as });
    children.replica = start(join(dir, 'replica'), replicaPort);
    await waitReady(url(replicaPort), true);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    primaryUrl: url(primaryPort),
    primaryPort,
    replicaPort,
    replicaUrl: (user, password) => url(replicaPort, user, password),
    async onReplica(sql) {
      const c = new Client({ connectionString: url(replicaPort) });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    },
    stopReplica: () => stop(children.replica),
    async startReplica() {
      children.replica = start(join(dir, 'replica'), replicaPort);
      await waitReady(url(replicaPort), true);
    },
    close,
  };
}

/** Until PostgreSQL at `connectionString` answers, as a standby (or not) as asked. */
function waitReady(connectionString: string, standby: boolean, ms = 30_000): Promise<void> {
  return waitUntil(
    async () => {
      const c = new Client({ connectionString });
      try {
        await c.connect();
        return (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0].r === standby;
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    `PostgreSQL at ${connectionString}`,
    ms,
  );
}
