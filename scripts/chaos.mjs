#!/usr/bin/env node
// npm run chaos: fault tests anyone can rerun. Starts its own PostgreSQL
// (initdb into a temp folder, on a free port) and its own redis-server —
// never the shared ones — plus the built api and worker, then:
//   1. kills the api with SIGKILL under mixed batch, single and idempotent ingest;
//   2. restarts PostgreSQL, then Redis, under 8-way load;
//   3. kills the worker once, then twice, in the middle of an export;
//   4. kills the worker in the middle of forwarding to a local webhook receiver.
// Prints a table, removes every process and folder it made, and exits
// non-zero when anything acknowledged was lost, duplicated or never finished.
// CHAOS_SAMPLE=1 (npm test) runs each scenario once, smaller.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ROOT } from './lib/env.mjs';
import { migrate, TEST_PASSWORDS } from './lib/testdb.mjs';

const SAMPLE = process.env.CHAOS_SAMPLE === '1';
const API_KILLS = SAMPLE ? 1 : 3;
const PG_RESTARTS = SAMPLE ? 1 : 5;
const EXPORT_ROWS = SAMPLE ? 60_000 : 200_000;
const FORWARD_EVENTS = SAMPLE ? 1_000 : 5_000;
const OPERATOR = 'chaos-operator-token-0123456789';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log('[chaos]', ...a);

const cleanups = [];
let failed = false;
const rows = [];
function report(scenario, measured, ok) {
  rows.push({ scenario, measured, ok });
  if (!ok) failed = true;
  log(`${ok ? 'ok  ' : 'FAIL'} ${scenario}: ${measured}`);
}

async function freePort() {
  return new Promise((res) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// ---- our own PostgreSQL and Redis -------------------------------------------
const pgBin = (() => {
  const base = '/usr/lib/postgresql';
  const v = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a))[0] : null;
  if (!v) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install -y postgresql)');
  return join(base, v, 'bin');
})();
const asRoot = process.getuid?.() === 0;
/** initdb and postgres refuse to run as root: run them as the postgres user then. */
const pgUser = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {};

const dir = mkdtempSync(join(tmpdir(), 'audit-chaos-'));
cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
if (asRoot) {
  chmodSync(dir, 0o777);
  execFileSync('chown', ['postgres', dir]);
}
const pgData = join(dir, 'pg');
const pgPort = await freePort();
const redisPort = await freePort();
const apiPort = await freePort();
const healthPort = await freePort();
execFileSync(join(pgBin, 'initdb'), ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { stdio: 'ignore', ...pgUser });
let postgres = null;
function startPostgres() {
  postgres = spawn(join(pgBin, 'postgres'), ['-D', pgData, '-p', String(pgPort), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'], { stdio: 'ignore', ...pgUser });
}
async function waitPostgres() {
  for (let i = 0; i < 200; i++) {
    const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/postgres` });
    try {
      await c.connect();
      await c.end();
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error('PostgreSQL did not start');
}
async function stopPostgres() {
  const p = postgres;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGINT'); // fast shutdown: clients see 57P01, as in a real restart
  await exited;
}
cleanups.push(() => postgres?.kill('SIGKILL'));
let redis = null;
function startRedis() {
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--dir', dir], { stdio: 'ignore' });
}
cleanups.push(() => redis?.kill('SIGKILL'));

startPostgres();
startRedis();
await waitPostgres();
const ownerUrl = `postgres://postgres@127.0.0.1:${pgPort}/audit_trail`;
{
  const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/postgres` });
  await c.connect();
  await c.query('CREATE DATABASE audit_trail');
  await c.end();
}
log('building');
spawnSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
if (!migrate(ownerUrl, { stdio: 'ignore' })) throw new Error('migrations failed');
// A pool, not a client: it reconnects after the PostgreSQL restarts below.
const owner = new pg.Pool({ connectionString: ownerUrl, max: 2 });
owner.on('error', () => undefined);

// ---- api and worker -------------------------------------------------------------
const exportDir = join(dir, 'exports');
const env = {
  ...process.env,
  ...TEST_PASSWORDS,
  DATABASE_URL: ownerUrl,
  REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  PORT: String(apiPort),
  WORKER_HEALTH_PORT: String(healthPort),
  OPERATOR_TOKEN: OPERATOR,
  SESSION_SECRET: 'chaos-session-secret-0123456789abcdef',
  LOG_LEVEL: 'fatal',
  NODE_ENV: 'test',
  EXPORT_DIR: exportDir,
  EXPORT_LOCK_MS: '2000',
  EXPORT_FETCH_ROWS: '500',
  EXPORT_PROGRESS_MS: '50',
  FORWARDING_ALLOW_PRIVATE: 'true',
  FORWARDING_TICK_MS: '200',
  INTEGRITY_ENABLED: 'false',
  RETENTION_CRON: 'off',
  SIGNING_KEY_FILE: join(dir, 'signing-key.pem'),
  AUTH_RATE_LIMIT_PER_MINUTE: '100000',
};
const base = `http://127.0.0.1:${apiPort}`;
let api = null;
let worker = null;
const startApi = () => (api = spawn(process.execPath, ['apps/api/dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] }));
const startWorker = () => (worker = spawn(process.execPath, ['apps/worker/dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] }));
cleanups.push(() => api?.kill('SIGKILL'), () => worker?.kill('SIGKILL'));
async function waitReady(timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fetch(`${base}/readyz`).then((r) => r.ok).catch(() => false)) return true;
    await sleep(100);
  }
  return false;
}
const kill9 = async (child) => {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
};
const alive = (child) => child && child.exitCode === null && child.signalCode === null;

async function req(method, path, { key, body, headers = {} } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

async function tenant(name) {
  const s = await fetch(`${base}/v1/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account_name: name, email: `chaos-${randomUUID().slice(0, 8)}@chaos.test`, password: 'chaos password 123' }) });
  const body = await s.json();
  const cookie = s.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  await req('PUT', `/v1/operator/accounts/${body.account_id}/plan`, { body: { plan: 'premium' }, headers: { authorization: `Bearer ${OPERATOR}` } });
  const k = await fetch(`${base}/v1/api-keys`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': body.csrf_token }, body: JSON.stringify({ name: 'chaos', scopes: ['events:write', 'events:read', 'exports:write', 'admin'] }) });
  return { accountId: body.account_id, key: (await k.json()).key };
}

/** Keep `ways` loops sending ingest until stop(); collect what was acknowledged and every status seen. */
function load(t, ways) {
  const acked = new Set();
  const keyed = new Map(); // idempotency key -> ids answered for it
  const statuses = {};
  let running = true;
  let n = 0;
  const one = async () => {
    while (running) {
      const i = n++;
      const kind = i % 3; // 0 single, 1 batch, 2 single with an idempotency key
      const ev = (j) => ({ action: 'chaos.write', actor: { type: 'user', id: `u_${i}_${j}` }, metadata: { i, j } });
      let body;
      const idem = kind === 2 ? `idem-${i % 500}` : null;
      if (kind === 1) body = { events: Array.from({ length: 20 }, (_, j) => ev(j)) };
      else body = { ...ev(0), ...(idem ? { idempotency_key: idem } : {}) };
      try {
        const r = await req('POST', '/v1/events', { key: t.key, body });
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 202) {
          for (const id of r.body.ids) acked.add(id);
          if (idem) keyed.set(idem, new Set([...(keyed.get(idem) ?? []), ...r.body.ids]));
        } else await sleep(20);
      } catch {
        statuses.refused = (statuses.refused ?? 0) + 1; // connection refused: the process is down
        await sleep(20);
      }
    }
  };
  const loops = Array.from({ length: ways }, one);
  return {
    acked,
    keyed,
    statuses,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function storedIds(accountId) {
  const { rows } = await owner.query('SELECT id::text FROM audit_events WHERE account_id = $1', [accountId]);
  return new Set(rows.map((r) => r.id));
}

const fmtStatuses = (s) => Object.entries(s).map(([k, v]) => `${k}×${v}`).join(' ');

try {
  startApi();
  startWorker();
  if (!(await waitReady())) throw new Error('the api did not become ready');

  // 1. SIGKILL the api under mixed ingest ------------------------------------------
  {
    const t = await tenant('Kill api');
    const l = load(t, 8);
    for (let k = 0; k < API_KILLS; k++) {
      await sleep(1500);
      await kill9(api);
      await sleep(300);
      startApi();
      await waitReady();
    }
    await sleep(1000);
    await l.stop();
    const stored = await storedIds(t.accountId);
    const lost = [...l.acked].filter((id) => !stored.has(id)).length;
    const { rows } = await owner.query(`SELECT count(*)::int AS n FROM (SELECT idempotency_key FROM audit_events WHERE account_id = $1 AND idempotency_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d`, [t.accountId]);
    const answeredTwice = [...l.keyed.values()].filter((ids) => ids.size > 1).length;
    report(`api SIGKILLed ${API_KILLS}× under batch, single and idempotent ingest`, `${l.acked.size} acknowledged, ${lost} lost; ${rows[0].n} idempotency keys stored twice, ${answeredTwice} answered with two ids; statuses ${fmtStatuses(l.statuses)}`, lost === 0 && rows[0].n === 0 && answeredTwice === 0);
  }

  // 2. restart PostgreSQL, then Redis, under 8-way load ----------------------------------
  for (const [what, restarts] of [['PostgreSQL', PG_RESTARTS], ['Redis', 1]]) {
    const t = await tenant(`Restart ${what}`);
    const l = load(t, 8);
    const recoveries = [];
    const downStatuses = {};
    for (let k = 0; k < restarts; k++) {
      await sleep(1000);
      const before = { ...l.statuses };
      if (what === 'PostgreSQL') await stopPostgres();
      else await kill9(redis);
      await sleep(1500);
      for (const [s, v] of Object.entries(l.statuses)) if (v - (before[s] ?? 0) > 0) downStatuses[s] = (downStatuses[s] ?? 0) + v - (before[s] ?? 0);
      const upAt = Date.now();
      if (what === 'PostgreSQL') {
        startPostgres();
        await waitPostgres();
      } else startRedis();
      // Recovered: a request sent now is stored (202).
      let recovered = null;
      while (Date.now() - upAt < 60_000) {
        const r = await req('POST', '/v1/events', { key: t.key, body: { action: 'chaos.probe', actor: { type: 'system' } } }).catch(() => ({ status: 0 }));
        if (r.status === 202) {
          recovered = (Date.now() - upAt) / 1000;
          break;
        }
        await sleep(100);
      }
      recoveries.push(recovered);
    }
    await sleep(500);
    await l.stop();
    const stored = await storedIds(t.accountId);
    const lost = [...l.acked].filter((id) => !stored.has(id)).length;
    const bad = Object.keys(downStatuses).filter((s) => s !== '202' && s !== '503');
    const up = alive(api) && alive(worker);
    const rec = recoveries.map((s) => (s === null ? 'never' : `${s.toFixed(1)} s`)).join(', ');
    report(
      `${what} restarted ${restarts}× under 8-way ingest`,
      `while down: ${fmtStatuses(downStatuses)}; api and worker ${up ? 'alive' : 'DEAD'}; recovered unattended in ${rec}; ${l.acked.size} acknowledged, ${lost} lost`,
      bad.length === 0 && up && lost === 0 && recoveries.every((s) => s !== null),
    );
  }

  // 3. SIGKILL the worker mid-export, once and twice ----------------------------------------------
  {
    const t = await tenant('Export');
    await owner.query(
      `INSERT INTO audit_events (account_id, id, occurred_at, received_at, action, category, actor_type, actor_id, outcome, metadata)
       SELECT $1, gen_random_uuid(), now() - make_interval(secs => g), now() - interval '1 hour', 'bulk.row', 'custom', 'user', 'u_' || (g % 50), 'success', jsonb_build_object('n', g)
       FROM generate_series(1, $2::int) g`,
      [t.accountId, EXPORT_ROWS],
    );
    for (const kills of [1, 2]) {
      const x = await req('POST', '/v1/exports', { key: t.key, body: { format: 'ndjson', action: ['bulk.row'] } });
      const get = async () => (await req('GET', `/v1/exports/${x.body.id}`, { key: t.key })).body;
      const attempts = async () => (await owner.query('SELECT attempts FROM exports WHERE id = $1', [x.body.id])).rows[0].attempts;
      for (let k = 1; k <= kills; k++) {
        const end = Date.now() + 60_000;
        while (Date.now() < end && !((await attempts()) === k && (await get()).progress > 0)) await sleep(20);
        await kill9(worker);
        startWorker();
      }
      const t0 = Date.now();
      let e = await get();
      while (!['completed', 'failed'].includes(e.status) && Date.now() - t0 < 120_000) {
        await sleep(200);
        e = await get();
      }
      const parts = existsSync(join(exportDir, t.accountId)) ? readdirSync(join(exportDir, t.accountId)).filter((f) => f.startsWith(x.body.id) && f.endsWith('.part')) : [];
      const exact = e.status === 'completed' && e.row_count === EXPORT_ROWS;
      const reasoned = e.status === 'failed' && Boolean(e.error);
      report(`worker SIGKILLed ${kills}× mid-export (${EXPORT_ROWS} rows)`, `ended ${e.status}${e.status === 'completed' ? ` with ${e.row_count} rows` : `: ${e.error}`}; ${parts.length} partial files left`, (exact || reasoned) && parts.length === 0);
    }
  }

  // 4. SIGKILL the worker mid-forwarding ---------------------------------------------------
  {
    const got = [];
    const receiver = createServer((rq, rs) => {
      let b = '';
      rq.on('data', (d) => (b += d));
      rq.on('end', () => {
        // Only this scenario's events (the log also holds the platform's own records: key and destination created).
        for (const e of JSON.parse(b).events) if (e.action === 'chaos.forward') got.push(e.metadata.n);
        rs.writeHead(200).end();
      });
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
    cleanups.push(() => receiver.close());
    const t = await tenant('Forward');
    const d = await req('POST', '/v1/destinations', { key: t.key, body: { type: 'webhook', name: 'local', url: `http://127.0.0.1:${receiver.address().port}/hook`, secret: 'chaos-webhook-secret-123', format: 'native' } });
    if (d.status !== 201) throw new Error(`destination: ${d.status} ${JSON.stringify(d.body)}`);
    for (let i = 0; i < FORWARD_EVENTS; i += 100) {
      await req('POST', '/v1/events', { key: t.key, body: { events: Array.from({ length: 100 }, (_, j) => ({ action: 'chaos.forward', actor: { type: 'system' }, metadata: { n: i + j } })) } });
    }
    const end = Date.now() + 60_000;
    while (got.length < FORWARD_EVENTS / 3 && Date.now() < end) await sleep(5);
    await kill9(worker);
    await sleep(500);
    startWorker();
    while (new Set(got).size < FORWARD_EVENTS && Date.now() < end + 60_000) await sleep(100);
    const seen = new Set(got);
    const missing = FORWARD_EVENTS - [...seen].filter((n) => n < FORWARD_EVENTS).length;
    // In order: the first time each event arrives, it comes after every earlier one.
    const firsts = got.filter((n, i) => got.indexOf(n) === i);
    const inOrder = firsts.every((n, i) => i === 0 || n > firsts[i - 1]);
    report(`worker SIGKILLed mid-forwarding (${FORWARD_EVENTS} events, webhook)`, `${seen.size} delivered, ${missing} missing, ${got.length - seen.size} redelivered (at least once), ${inOrder ? 'in order' : 'OUT OF ORDER'}`, missing === 0 && inOrder);
  }
} catch (err) {
  report('chaos run', `stopped: ${err.message}`, false);
} finally {
  await owner.end().catch(() => undefined);
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      /* best effort */
    }
  }
}

console.log('\n| scenario | measured | result |\n| --- | --- | --- |');
for (const r of rows) console.log(`| ${r.scenario} | ${r.measured} | ${r.ok ? 'ok' : '**FAIL**'} |`);
const passed = rows.filter((r) => r.ok).length;
console.log(`chaos: ${passed} passed, ${rows.length - passed} failed`);
process.exit(failed ? 1 : 0);
