#!/usr/bin/env node
// npm run bench: ingest, query and export on this machine against the real
// system, next to bare PostgreSQL doing the same work, and print ratios.
// Timings are reported, never asserted.
// BENCH_SECTIONS=ingest,query,export,integrity,forwarding,retention,overload (default all) picks what runs.
// Each section first waits for the machine to be quiet and prints the load
// average and the CPU's idle share at its start; a section that starts on a
// busy machine prints its figures but no ratio. `npm run bench -- --readme`
// also writes the table, with the date and the machine, into the README.
import autocannon from 'autocannon';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { requireRedis, ROOT } from './lib/env.mjs';
import { migrate, recreateDatabase } from './lib/testdb.mjs';

const ownerBase = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/audit_trail_bench';
const PORT = Number(process.env.BENCH_PORT ?? 3400);
const COPY_ROWS = Number(process.env.BENCH_COPY_ROWS ?? 200_000);
const QUERY_ROWS = Number(process.env.BENCH_QUERY_ROWS ?? 1_000_000);
const SINGLE_SECONDS = Number(process.env.BENCH_SINGLE_SECONDS ?? 10);
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'ingest,query,export,integrity,forwarding,retention,overload').split(','));
const FORWARD_RATE = Number(process.env.BENCH_FORWARD_RATE ?? 2000);
const FORWARD_SECONDS = Number(process.env.BENCH_FORWARD_SECONDS ?? 30);
const PURGE_ROWS = Number(process.env.BENCH_PURGE_ROWS ?? 2_000_000);
/** A section starting with less of the CPU idle than this prints no ratio. */
const QUIET_IDLE = Number(process.env.BENCH_QUIET_IDLE ?? 85);
const WRITE_README = process.argv.includes('--readme');
const PURGE_INGEST_RATE = Number(process.env.BENCH_PURGE_INGEST_RATE ?? 1000);
const OPERATOR = 'bench-operator-token-0123456789';
const base = `http://127.0.0.1:${PORT}`;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The CPU's idle share (%) over `ms`, from /proc/stat: what the rest of the machine leaves us. */
async function idleShare(ms = 1500) {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return b.total === a.total ? 100 : (100 * (b.idle - a.idle)) / (b.total - a.total);
}

/**
 * Start a section: wait (up to 60 s) for the machine to be quiet, then print
 * the load average and the idle share. `busy` sections print no ratio.
 */
const sections = {};
async function section(name) {
  let idle = await idleShare();
  for (let waited = 0; idle < QUIET_IDLE && waited < 60_000; waited += 3000) {
    await new Promise((r) => setTimeout(r, 1500));
    idle = await idleShare();
  }
  const s = { load1: loadavg()[0], idle, busy: idle < QUIET_IDLE };
  sections[name] = s;
  console.log(`[bench] ${name}: load average ${s.load1.toFixed(2)} (1 min), CPU ${s.idle.toFixed(0)} % idle at the start${s.busy ? ' — BUSY: this section prints no ratio' : ''}`);
  return s;
}

await requireRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
console.log('[bench] building');
spawnSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });

// A fresh database, migrated like production.
await recreateDatabase(ownerBase);
migrate(ownerBase, { stdio: 'ignore' });

const EXPORT_DIR = mkdtempSync(join(tmpdir(), 'audit-bench-exports-'));
const sharedEnv = {
  ...process.env,
  DATABASE_URL: ownerBase,
  APP_DB_PASSWORD: 'audit_app_local_only',
  RETENTION_DB_PASSWORD: 'audit_retention_local_only',
  OPERATOR_TOKEN: OPERATOR,
  LOG_LEVEL: 'warn',
  SESSION_SECRET: 'bench-session-secret-0123456789abcdef',
  NODE_ENV: 'production',
  QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}`,
  EXPORT_DIR,
  // The retention section runs retention itself, when it chooses.
  RETENTION_CRON: 'off',
  // The forwarding section's receiver listens on 127.0.0.1.
  FORWARDING_ALLOW_PRIVATE: 'true',
  // The integrity section seals the events itself and times it; a worker
  // started for another section must not seal them first.
  INTEGRITY_ENABLED: 'false',
};
const api = spawn(process.execPath, ['apps/api/dist/main.js'], { cwd: ROOT, env: { ...sharedEnv, PORT: String(PORT) }, stdio: ['ignore', 'ignore', 'inherit'] });
process.on('exit', () => api.kill('SIGTERM'));
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`${base}/readyz`)).ok) break;
  } catch {
    /* starting */
  }
  await new Promise((r) => setTimeout(r, 200));
}

async function tenant(name, plan = 'premium') {
  const email = `bench-${randomUUID().slice(0, 8)}@bench.test`;
  const s = await fetch(`${base}/v1/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account_name: name, email, password: 'bench password 123' }) });
  const body = await s.json();
  const cookie = s.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  await fetch(`${base}/v1/operator/accounts/${body.account_id}/plan`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR}` }, body: JSON.stringify({ plan }) });
  const k = await fetch(`${base}/v1/api-keys`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': body.csrf_token }, body: JSON.stringify({ name: 'bench', scopes: ['events:write', 'events:read', 'exports:write', 'admin'] }) });
  return { accountId: body.account_id, key: (await k.json()).key };
}

const ACTIONS = ['document.create', 'document.update', 'document.delete', 'member.invited', 'smtp.update', 'api_key.created', 'auth.login', 'project.create'];
function sampleEvent(i) {
  return {
    action: ACTIONS[i % ACTIONS.length],
    actor: { type: 'user', id: `u_${i % 100}`, email: `user${i % 100}@bench.test`, name: `User ${i % 100}` },
    target: { type: 'document', id: `d_${i % 5000}`, name: `Doc ${i % 5000}` },
    context: { ip: `203.0.${(i >> 8) % 256}.${i % 256}`, user_agent: 'bench/1.0' },
    metadata: { size: i, path: `/docs/${i % 5000}`, tags: ['a', 'b'] },
  };
}

/** The same events as COPY text rows of audit_events, from `offsetMs` before now back over `spanMs`. */
function copyRows(accountId, n, spanMs, offsetMs = 0) {
  const now = Date.now();
  let i = 0;
  const esc = (v) => (v === null ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n'));
  return Readable.from(
    (function* () {
      while (i < n) {
        let chunk = '';
        for (let j = 0; j < 1000 && i < n; j++, i++) {
          const e = sampleEvent(i);
          const t = new Date(now - offsetMs - Math.floor((i / n) * spanMs)).toISOString();
          // Received now, as ingest would stamp it (the sealer refuses rows claiming an old receipt).
          const received = new Date(now).toISOString();
          chunk +=
            [accountId, randomUUID(), null, t, received, e.action, 'content', 'user', e.actor.id, e.actor.email, e.actor.name, e.target.type, e.target.id, e.target.name, e.context.ip, e.context.user_agent, 'success', JSON.stringify(e.metadata), null, null]
              .map(esc)
              .join('\t') + '\n';
        }
        yield chunk;
      }
    })(),
  );
}

async function copyInto(accountId, n, spanMs, offsetMs = 0, table = 'audit_events') {
  const c = new pg.Client({ connectionString: ownerBase });
  await c.connect();
  // Partitions for the span, as ingest would create them.
  await c.query(`SELECT audit_ensure_partition(now() - make_interval(days => d)) FROM generate_series(0, $1::int, 7) d`, [Math.ceil((spanMs + offsetMs) / 86_400_000) + 31]);
  const t0 = performance.now();
  const cols = 'account_id, id, workspace_id, occurred_at, received_at, action, category, actor_type, actor_id, actor_email, actor_name, target_type, target_id, target_name, ip, user_agent, outcome, metadata, changes, idempotency_key';
  await pipeline(copyRows(accountId, n, spanMs, offsetMs), c.query(copyFrom(`COPY ${table} (${cols}) FROM STDIN`)));
  const ms = performance.now() - t0;
  await c.end();
  return ms;
}

const results = {};

/** What wrk reports for `-t2 -c64` POSTs of `body` to `url` for `seconds` (autocannon when wrk is missing). */
async function postLoad(url, key, body, seconds = SINGLE_SECONDS) {
  const hasWrk = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).status === 0;
  if (hasWrk) {
    const lua = join(ROOT, 'test-results', 'bench-post.lua');
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    writeFileSync(lua, `wrk.method = "POST"\nwrk.body = [[${body}]]\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer ${key}"\n`);
    const out = spawnSync('wrk', ['-t2', '-c64', `-d${seconds}s`, '--latency', '-s', lua, url], { encoding: 'utf8' }).stdout;
    const ms = (label) => {
      const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(out);
      if (!m) return NaN;
      return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
    };
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    return { tool: 'wrk', eventsPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0), p50: ms('50%'), p99: ms('99%'), non2xx };
  }
  const r = await autocannon({ url, method: 'POST', connections: 64, duration: seconds, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
  return { tool: 'autocannon', eventsPerSec: r['2xx'] / seconds, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx };
}

if (SECTIONS.has('ingest')) {
  await section('ingest');
  // 1. The limits: COPY into our own table (same indexes, partitions, RLS
  // off as the owner), and COPY into a bare table of the same columns with
  // three indexes (the primary key, action, actor): what a plain table costs.
  const copyTenant = await tenant('copy');
  const copyMs = await copyInto(copyTenant.accountId, COPY_ROWS, 3600_000);
  results.copy = { rows: COPY_ROWS, eventsPerSec: COPY_ROWS / (copyMs / 1000) };
  console.log(`[bench] COPY into audit_events: ${fmt(results.copy.eventsPerSec)} events/s`);
  {
    const c = new pg.Client({ connectionString: ownerBase });
    await c.connect();
    await c.query(`DROP TABLE IF EXISTS bench_bare_events;
      CREATE TABLE bench_bare_events (LIKE audit_events INCLUDING DEFAULTS);
      ALTER TABLE bench_bare_events ADD PRIMARY KEY (account_id, occurred_at, id);
      CREATE INDEX ON bench_bare_events (account_id, action, occurred_at DESC);
      CREATE INDEX ON bench_bare_events (account_id, actor_id, occurred_at DESC);`);
    await c.end();
    const bareMs = await copyInto(copyTenant.accountId, COPY_ROWS, 3600_000, 0, 'bench_bare_events');
    results.copyBare = { rows: COPY_ROWS, eventsPerSec: COPY_ROWS / (bareMs / 1000) };
    console.log(`[bench] COPY into a bare table, 3 indexes: ${fmt(results.copyBare.eventsPerSec)} events/s`);
  }

  // 2. Batch ingest over HTTP: 1,000 events a request, 4 requests in flight;
  // then the same with an idempotency key on every event (what the SDK sends).
  const batchOver = async (name, keyed) => {
    const batchTenant = await tenant(name);
    const batches = COPY_ROWS / 1000;
    const body = (n) => JSON.stringify({ events: Array.from({ length: 1000 }, (_, i) => (keyed ? { ...sampleEvent(i), idempotency_key: `${n}-${i}` } : sampleEvent(i))) });
    const plain = keyed ? null : body(0);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < batches) {
          const n = next++;
          const r = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${batchTenant.key}` }, body: plain ?? body(n) });
          if (r.status !== 202) throw new Error(`batch ingest ${r.status} ${await r.text()}`);
          await r.arrayBuffer();
        }
      }),
    );
    return { rows: COPY_ROWS, eventsPerSec: COPY_ROWS / ((performance.now() - t0) / 1000) };
  };
  results.batch = await batchOver('batch', false);
  console.log(`[bench] batch HTTP: ${fmt(results.batch.eventsPerSec)} events/s`);
  results.batchKeyed = await batchOver('batch-keyed', true);
  console.log(`[bench] batch HTTP, every event with an idempotency key: ${fmt(results.batchKeyed.eventsPerSec)} events/s`);

  // 2b. The same number of events through the SDK's background batching:
  // enqueue one at a time, 1,000 a request, 4 in flight. Each event carries
  // the idempotency key and occurred_at the SDK adds, so the API does more.
  {
    const { AuditTrail } = await import('@audit-trail/sdk');
    const sdkTenant = await tenant('sdk');
    const at = new AuditTrail({ apiKey: sdkTenant.key, baseUrl: base, batching: { maxEvents: 1000, concurrency: 4, maxQueue: 10_000, flushIntervalMs: 50 } });
    const t0 = performance.now();
    for (let i = 0; i < COPY_ROWS; i++) await at.events.enqueue(sampleEvent(i));
    const { sent } = await at.flush();
    const ms = performance.now() - t0;
    results.sdk = { rows: sent, eventsPerSec: sent / (ms / 1000) };
    console.log(`[bench] SDK enqueue + flush: ${fmt(results.sdk.eventsPerSec)} events/s (${fmt(sent)} events)`);
  }

  // 3. Single-event ingest, 64 concurrent clients (wrk, Debian's package, when
  // present: it leaves more of the two cores to the system under test), next
  // to a bare Fastify route and a bare Nest route (the api's framework, no
  // key, no validation, no database) under the same load. This machine's
  // speed drifts from one ten-second window to the next, so the three are
  // loaded in turns (three rounds of SINGLE_SECONDS / 2, each round in a
  // different order) and each figure is the median of its rounds.
  const singleTenant = await tenant('single');
  {
    const single = JSON.stringify(sampleEvent(7));
    const baselines = [
      ['singleBare', 'scripts/lib/bare-fastify.mjs', PORT + 5],
      ['singleNest', 'scripts/lib/bare-nest.mjs', PORT + 6],
    ].map(([name, script, port]) => {
      const server = spawn(process.execPath, [join(ROOT, script)], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
      process.on('exit', () => server.kill('SIGKILL'));
      return { name, server, url: `http://127.0.0.1:${port}/v1/events` };
    });
    for (const b of baselines) {
      const ready = () => fetch(b.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body: '{}' }).then((r) => r.status === 202).catch(() => false);
      for (let i = 0; i < 100 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 100));
    }
    const targets = [{ name: 'single', url: `${base}/v1/events` }, ...baselines];
    // Every server gets the same 3 s of load first, so none is measured while its code is still being compiled.
    for (const t of targets) await postLoad(t.url, singleTenant.key, single, 3);
    const ROUNDS = 3;
    const slice = Math.max(2, Math.round(SINGLE_SECONDS / 2));
    const runs = new Map(targets.map((t) => [t.name, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < targets.length; i++) {
        const t = targets[(i + r) % targets.length];
        runs.get(t.name).push(await postLoad(t.url, singleTenant.key, single, slice));
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    for (const [name, rs] of runs) {
      results[name] = { tool: rs[0].tool, eventsPerSec: median(rs.map((x) => x.eventsPerSec)), p50: median(rs.map((x) => x.p50)), p99: median(rs.map((x) => x.p99)), non2xx: rs.reduce((n, x) => n + x.non2xx, 0), rounds: rs.map((x) => Math.round(x.eventsPerSec)) };
    }
    for (const b of baselines) {
      await new Promise((r) => {
        b.server.once('exit', r);
        b.server.kill('SIGTERM');
      });
    }
    const rounds = (x) => `(rounds: ${x.rounds.map((n) => fmt(n)).join(', ')})`;
    console.log(`[bench] bare Fastify route (${results.singleBare.tool}): ${fmt(results.singleBare.eventsPerSec)} req/s p50 ${results.singleBare.p50} ms p99 ${results.singleBare.p99} ms ${rounds(results.singleBare)}`);
    console.log(`[bench] bare Nest route (${results.singleNest.tool}): ${fmt(results.singleNest.eventsPerSec)} req/s p50 ${results.singleNest.p50} ms p99 ${results.singleNest.p99} ms ${rounds(results.singleNest)}`);
    console.log(`[bench] single (${results.single.tool}): ${fmt(results.single.eventsPerSec)} events/s p50 ${results.single.p50} ms p99 ${results.single.p99} ms (non-2xx ${results.single.non2xx}) ${rounds(results.single)}`);
  }
}

// The 1M events the query and export benchmarks read.
const queryTenant = await tenant('query');
if (SECTIONS.has('query') || SECTIONS.has('export') || SECTIONS.has('integrity')) {
  console.log(`[bench] loading ${fmt(QUERY_ROWS)} events for the query and export benchmarks`);
  await copyInto(queryTenant.accountId, QUERY_ROWS, 25 * 86_400_000);
  const c = new pg.Client({ connectionString: ownerBase });
  await c.connect();
  await c.query('ANALYZE audit_events');
  // What an event costs on disk, over every partition (heap with TOAST, and indexes).
  const size = (
    await c.query(
      `SELECT sum(pg_table_size(relid))::bigint AS table_bytes, sum(pg_indexes_size(relid))::bigint AS index_bytes, (SELECT count(*) FROM audit_events)::bigint AS n
       FROM pg_partition_tree('audit_events') WHERE isleaf`,
    )
  ).rows[0];
  results.storage = { events: Number(size.n), tableBytesPerEvent: Number(size.table_bytes) / Number(size.n), indexBytesPerEvent: Number(size.index_bytes) / Number(size.n) };
  console.log(`[bench] storage: ${fmt(results.storage.events)} events; table ${fmt(results.storage.tableBytesPerEvent)} B/event, indexes ${fmt(results.storage.indexBytesPerEvent)} B/event`);
  await c.end();
}

if (SECTIONS.has('query')) {
  await section('query');
  // 4. First page of a filtered query over 1M events: API vs the same SQL.
  const QUERIES = [
    ['actor', 'actor_id=u_42'],
    ['action', 'action=document.delete'],
    ['ip range', 'ip=203.0.1.0/24'],
  ];
  results.query = [];
  const appUrl = new URL(ownerBase);
  appUrl.username = 'audit_app';
  appUrl.password = 'audit_app_local_only';
  const bare = new pg.Client({ connectionString: appUrl.toString() });
  await bare.connect();
  for (const [label, qs] of QUERIES) {
    const N = 300;
    const apiTimes = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = await fetch(`${base}/v1/events?${qs}&limit=50`, { headers: { authorization: `Bearer ${queryTenant.key}` } });
      const j = await r.json();
      apiTimes.push(performance.now() - t0);
      if (i === 0 && j.entries.length !== 50) throw new Error(`${label}: expected a full page, got ${j.entries.length}`);
    }
    // The same statement the API runs, on the application role with the tenant set.
    const where = { actor: `actor_id = 'u_42'`, action: `action = 'document.delete'`, 'ip range': `ip <<= '203.0.1.0/24'::inet` }[label];
    const sqlTimes = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      await bare.query('BEGIN');
      await bare.query(`SELECT set_config('app.account_id', $1, true)`, [queryTenant.accountId]);
      await bare.query(`SELECT account_id, id, workspace_id, occurred_at, received_at, action, category, actor_type, actor_id, actor_email, actor_name, target_type, target_id, target_name, host(ip) AS ip, user_agent, outcome, metadata, changes, idempotency_key FROM audit_events WHERE account_id = $1 AND workspace_id IS NULL AND ${where} ORDER BY occurred_at DESC, id DESC LIMIT 51`, [queryTenant.accountId]);
      await bare.query('COMMIT');
      sqlTimes.push(performance.now() - t0);
    }
    const row = { label, api: { p50: pct(apiTimes, 50), p99: pct(apiTimes, 99) }, sql: { p50: pct(sqlTimes, 50), p99: pct(sqlTimes, 99) } };
    results.query.push(row);
    console.log(`[bench] query ${label}: api p50 ${row.api.p50.toFixed(2)} ms p99 ${row.api.p99.toFixed(2)} ms; sql p50 ${row.sql.p50.toFixed(2)} ms p99 ${row.sql.p99.toFixed(2)} ms`);
  }
  await bare.end();
}

/** The real worker as its own process, ready when its health port answers. */
async function startWorker() {
  const worker = spawn(process.execPath, ['apps/worker/dist/main.js'], { cwd: ROOT, env: { ...sharedEnv, WORKER_HEALTH_PORT: String(PORT + 1) }, stdio: ['ignore', 'ignore', 'inherit'] });
  process.on('exit', () => worker.kill('SIGKILL'));
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT + 1}/healthz`)).ok) break;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return worker;
}

// 5. Integrity: seal the 1M events (the worker's own sealLog, here in process
// so the time is the sealer's alone), then verify them through the API. Before
// the export: an export seals its account first, and would otherwise do this
// work (inside the export's own time) before the sealing section could.
if (SECTIONS.has('integrity')) {
  await section('integrity');
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  require('reflect-metadata');
  const { Database } = require('@audit-trail/data');
const { loadSigningKey, registerKey, sealLog } = require('@audit-trail/engines');
  const appUrl = new URL(ownerBase);
  appUrl.username = 'audit_app';
  appUrl.password = 'audit_app_local_only';
  const db = new Database(appUrl.toString(), 4);
  const keyDir = mkdtempSync(join(tmpdir(), 'bench-key-'));
  const key = loadSigningKey(undefined, join(keyDir, 'signing-key.pem'));
  const kc = await db.connect();
  await registerKey(kc, key);
  kc.release();
  const s0 = performance.now();
  const sealed = await sealLog(db, key, { accountId: queryTenant.accountId, workspaceId: null }, { checkpointEveryMs: 0 });
  const sealMs = performance.now() - s0;
  await db.close();
  rmSync(keyDir, { recursive: true, force: true });
  const v0 = performance.now();
  const v = await (await fetch(`${base}/v1/integrity/verify`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${queryTenant.key}` }, body: '{}' })).json();
  const verifyMs = performance.now() - v0;
  results.integrity = { sealed: sealed.sealed, sealPerSec: sealed.sealed / (sealMs / 1000), sealMs, verified: v.checked, verifyOk: v.ok, verifyMs };
  console.log(`[bench] integrity: sealed ${fmt(sealed.sealed)} events in ${fmt(sealMs)} ms (${fmt(results.integrity.sealPerSec)} ev/s); verify of ${fmt(v.checked)} events: ok=${v.ok} in ${fmt(verifyMs)} ms`);
}

// 6. Export the same 1M events to CSV with the real worker, next to
// PostgreSQL's own COPY (SELECT …) TO STDOUT (FORMAT csv) of the same rows.
if (SECTIONS.has('export')) {
  await section('export');
  const worker = await startWorker();
  const vm = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${worker.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  const idleRss = vm('VmRSS');
  const auth = { 'content-type': 'application/json', authorization: `Bearer ${queryTenant.key}` };
  const t0 = performance.now();
  const created = await (await fetch(`${base}/v1/exports`, { method: 'POST', headers: auth, body: JSON.stringify({ format: 'csv' }) })).json();
  if (!created.id) throw new Error(`export request failed: ${JSON.stringify(created)}`);
  let done;
  for (;;) {
    done = await (await fetch(`${base}/v1/exports/${created.id}`, { headers: auth })).json();
    if (done.status === 'completed' || done.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const wallMs = performance.now() - t0;
  if (done.status !== 'completed') throw new Error(`export failed: ${done.error}`);
  const peakRss = vm('VmHWM');
  // The worker's own time, from the export row (queueing and polling excluded).
  const c = new pg.Client({ connectionString: ownerBase });
  await c.connect();
  const { rows } = await c.query('SELECT extract(epoch FROM completed_at - started_at) * 1000 AS ms FROM exports WHERE id = $1', [created.id]);
  const workerMs = Number(rows[0].ms);
  // Bare PostgreSQL: the same rows, same order, as CSV, counted and discarded.
  const c0 = performance.now();
  let copyBytes = 0;
  await pipeline(
    c.query(copyTo(`COPY (SELECT id, occurred_at, received_at, workspace_id, action, category, outcome, actor_type, actor_id, actor_email, actor_name, target_type, target_id, target_name, host(ip), user_agent, metadata, changes FROM audit_events WHERE account_id = '${queryTenant.accountId}' AND workspace_id IS NULL ORDER BY occurred_at, id) TO STDOUT WITH (FORMAT csv, HEADER)`)),
    new Writable({ write(chunk, _e, cb) { copyBytes += chunk.length; cb(); } }),
  );
  const copyToMs = performance.now() - c0;
  await c.end();
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  rmSync(EXPORT_DIR, { recursive: true, force: true });
  results.export = {
    rows: done.row_count,
    bytes: done.bytes,
    rowsPerSec: done.row_count / (workerMs / 1000),
    wallMs,
    workerMs,
    idleRssMb: idleRss,
    peakRssMb: peakRss,
    copyTo: { ms: copyToMs, bytes: copyBytes, rowsPerSec: done.row_count / (copyToMs / 1000) },
  };
  console.log(`[bench] export CSV: ${fmt(done.row_count)} rows in ${fmt(workerMs)} ms (${fmt(results.export.rowsPerSec)} rows/s, ${fmt(done.bytes / 1048576, 1)} MB); worker RSS idle ${fmt(idleRss)} MB, peak ${fmt(peakRss)} MB; COPY TO ${fmt(copyToMs)} ms (${fmt(results.export.copyTo.rowsPerSec)} rows/s)`);
}

// 7. Forwarding: single events at a steady rate with a webhook destination on
// a local receiver; lag from the event's receipt by the API to its arrival at
// the receiver, delivered events/s, and whether anything is missing or out of order.
if (SECTIONS.has('forwarding')) {
  await section('forwarding');
  const { createServer } = await import('node:http');
  const worker = await startWorker();
  const fwd = await tenant('forwarding');
  const arrivals = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      for (const e of JSON.parse(Buffer.concat(chunks).toString()).events) arrivals.push({ id: e.id, action: e.action, lag: at - Date.parse(e.received_at) });
      res.writeHead(200).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const created = await fetch(`${base}/v1/destinations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${fwd.key}` },
    body: JSON.stringify({ type: 'webhook', name: 'bench', url: `http://127.0.0.1:${server.address().port}/`, filter: { categories: ['content'] } }),
  });
  if (created.status !== 201) throw new Error(`destination ${created.status} ${await created.text()}`);
  const load = await autocannon({
    url: `${base}/v1/events`,
    method: 'POST',
    connections: 32,
    overallRate: FORWARD_RATE,
    duration: FORWARD_SECONDS,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${fwd.key}` },
    body: JSON.stringify({ ...sampleEvent(1), action: 'document.update' }),
  });
  const sent = load['2xx'];
  const t0 = performance.now();
  while (arrivals.filter((a) => a.action === 'document.update').length < sent && performance.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
  const c = new pg.Client({ connectionString: ownerBase });
  await c.connect();
  const { rows } = await c.query(`SELECT id FROM audit_events WHERE account_id = $1 AND action = 'document.update' ORDER BY txid, id`, [fwd.accountId]);
  await c.end();
  const got = arrivals.filter((a) => a.action === 'document.update');
  const firstSeen = [...new Map(got.map((a) => [a.id, a])).values()];
  const missing = rows.length - firstSeen.length;
  const inOrder = firstSeen.every((a, i) => a.id === rows[i]?.id);
  const lags = got.map((a) => a.lag);
  results.forwarding = {
    rate: FORWARD_RATE,
    seconds: FORWARD_SECONDS,
    stored: rows.length,
    delivered: firstSeen.length,
    duplicates: got.length - firstSeen.length,
    missing,
    inOrder,
    deliveredPerSec: firstSeen.length / FORWARD_SECONDS,
    lag: { p50: pct(lags, 50), p99: pct(lags, 99) },
  };
  server.close();
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  const f = results.forwarding;
  console.log(`[bench] forwarding: ${fmt(f.delivered)} of ${fmt(f.stored)} events delivered (${fmt(f.deliveredPerSec)}/s), lag p50 ${f.lag.p50} ms p99 ${f.lag.p99} ms, missing ${f.missing}, duplicates ${f.duplicates}, in order: ${f.inOrder}`);
}

// 8. Retention: purge PURGE_ROWS expired events spread over tenants and
// months while single events arrive at a steady rate; ingest p99 before and
// during the purge. Essentials tenants' events (100 days to 3 years old) are
// all expired; Premium tenants have expired events older than 730 days and
// kept ones in between, so the run both drops partitions and deletes rows.
if (SECTIONS.has('overload')) {
  await section('overload');
  // 1,024 connections reading the log at once: the API as configured
  // (MAX_IN_FLIGHT, default 256) next to one that admits everything and lets
  // requests queue for the pool.
  const t = await tenant('Overload');
  await copyInto(t.accountId, 20_000, 86_400_000);
  const unbounded = spawn(process.execPath, ['apps/api/dist/main.js'], { cwd: ROOT, env: { ...sharedEnv, PORT: String(PORT + 2), MAX_IN_FLIGHT: '100000' }, stdio: ['ignore', 'ignore', 'inherit'] });
  process.on('exit', () => unbounded.kill('SIGTERM'));
  for (let i = 0; i < 100 && !(await fetch(`http://127.0.0.1:${PORT + 2}/readyz`).then((r) => r.ok).catch(() => false)); i++) await new Promise((r) => setTimeout(r, 200));
  results.overload = [];
  // autocannon's clients retry at once after a 503 (they do not wait for
  // Retry-After), so this is the worst case: every shed answer costs CPU on
  // the same two cores the admitted requests need.
  for (const [label, port] of [['MAX_IN_FLIGHT=256', PORT], ['no bound', PORT + 2]]) {
    const statuses = {};
    const r = await autocannon({
      url: `http://127.0.0.1:${port}/v1/events?limit=50`,
      connections: 1024,
      duration: 10,
      headers: { authorization: `Bearer ${t.key}` },
      setupClient: (client) => client.on('response', (status) => (statuses[status] = (statuses[status] ?? 0) + 1)),
    });
    const total = Object.values(statuses).reduce((a, b) => a + b, 0);
    const o = { label, total, ok: statuses[200] ?? 0, shed: statuses[503] ?? 0, p50: r.latency.p50, p99: r.latency.p99 };
    o.okPerSec = o.ok / 10;
    o.other = total - o.ok - o.shed;
    results.overload.push(o);
    console.log(`[bench] overload ${label}: ${total} answers (${o.ok} × 200, ${o.shed} × 503, ${o.other} other), all answers p50 ${o.p50} ms, p99 ${o.p99} ms`);
  }
  unbounded.kill('SIGTERM');
}

if (SECTIONS.has('retention')) {
  await section('retention');
  const worker = await startWorker();
  const DAY = 86_400_000;
  const ess = await Promise.all([1, 2, 3, 4, 5].map((i) => tenant(`ret-ess-${i}`, 'essentials')));
  const prem = await Promise.all([1, 2, 3, 4, 5].map((i) => tenant(`ret-prem-${i}`, 'premium')));
  const keep = Math.round(PURGE_ROWS * 0.1);
  console.log(`[bench] loading ${fmt(PURGE_ROWS)} expired events (+${fmt(keep)} kept) over ${ess.length + prem.length} tenants`);
  const perEss = Math.floor(PURGE_ROWS / 2 / ess.length);
  const perPrem = Math.floor((PURGE_ROWS - perEss * ess.length) / prem.length);
  for (const x of ess) await copyInto(x.accountId, perEss, 995 * DAY, 100 * DAY);
  for (const x of prem) await copyInto(x.accountId, perPrem, 355 * DAY, 740 * DAY);
  for (const x of prem) await copyInto(x.accountId, Math.floor(keep / prem.length), 600 * DAY, 100 * DAY);
  {
    const c = new pg.Client({ connectionString: ownerBase });
    await c.connect();
    await c.query('VACUUM ANALYZE audit_events');
    await c.end();
  }
  const ingestTenant = await tenant('ret-ingest');
  const steady = (duration) =>
    autocannon({
      url: `${base}/v1/events`,
      method: 'POST',
      connections: 16,
      overallRate: PURGE_INGEST_RATE,
      duration,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestTenant.key}` },
      body: JSON.stringify(sampleEvent(3)),
    });
  await steady(5); // warm-up: JIT, connection pools, partition cache
  const before = await steady(15);
  const during = steady(3600);
  const t0 = performance.now();
  // node:http rather than fetch: a large purge answers after fetch's five-minute header timeout.
  const { request } = await import('node:http');
  const res = await new Promise((resolve, reject) => {
    const req = request(`${base}/v1/operator/retention/run`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR}` } }, (r) => {
      let text = '';
      r.on('data', (c) => (text += c));
      r.on('end', () => resolve({ status: r.statusCode, text }));
    });
    req.on('error', reject);
    req.end('{}');
  });
  const purgeMs = performance.now() - t0;
  during.stop();
  const duringResult = await during;
  const report = JSON.parse(res.text);
  if (res.status !== 200) throw new Error(`retention run ${res.status}: ${res.text}`);
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  results.retention = {
    expiredLoaded: perEss * ess.length + perPrem * prem.length,
    purged: report.purged_total,
    partitionsDropped: report.partitions_dropped.length,
    purgeMs,
    ingestRate: PURGE_INGEST_RATE,
    before: { p50: before.latency.p50, p99: before.latency.p99, non2xx: before.non2xx },
    during: { p50: duringResult.latency.p50, p99: duringResult.latency.p99, non2xx: duringResult.non2xx },
  };
  const r = results.retention;
  console.log(`[bench] retention: ${fmt(r.purged)} of ${fmt(r.expiredLoaded)} expired events purged in ${fmt(purgeMs / 1000, 1)} s (${r.partitionsDropped} partitions dropped); ingest at ${fmt(PURGE_INGEST_RATE)}/s p99 ${r.before.p99} ms before, ${r.during.p99} ms during (non-2xx ${r.before.non2xx}/${r.during.non2xx})`);
}

api.kill('SIGTERM');
// The table: each ratio only where its section started on a quiet machine.
const rows = [];
const row = (sectionName, what, measured, bare, ratio) => rows.push([what, measured, bare, sections[sectionName]?.busy ? `— (busy: ${fmt(sections[sectionName].idle)} % idle at start)` : ratio]);
const pctOf = (a, b) => `${fmt((100 * a) / b)} %`;
if (results.copy) {
  row('ingest', `COPY ${fmt(COPY_ROWS)} events into audit_events`, `${fmt(results.copy.eventsPerSec)} ev/s`, `bare table, 3 indexes: ${fmt(results.copyBare.eventsPerSec)} ev/s`, pctOf(results.copy.eventsPerSec, results.copyBare.eventsPerSec));
  row('ingest', 'batch ingest over HTTP (1,000/req, 4 in flight)', `${fmt(results.batch.eventsPerSec)} ev/s`, `COPY, own table ${fmt(results.copy.eventsPerSec)} / bare ${fmt(results.copyBare.eventsPerSec)} ev/s`, `${pctOf(results.batch.eventsPerSec, results.copy.eventsPerSec)} / ${pctOf(results.batch.eventsPerSec, results.copyBare.eventsPerSec)}`);
  row('ingest', '  the same, every event keyed', `${fmt(results.batchKeyed.eventsPerSec)} ev/s`, `COPY, own table ${fmt(results.copy.eventsPerSec)} ev/s`, pctOf(results.batchKeyed.eventsPerSec, results.copy.eventsPerSec));
  row('ingest', 'SDK enqueue + flush (1,000/req, 4)', `${fmt(results.sdk.eventsPerSec)} ev/s`, `API batch ${fmt(results.batch.eventsPerSec)} ev/s`, pctOf(results.sdk.eventsPerSec, results.batch.eventsPerSec));
  row('ingest', `single-event ingest, 64 conns (${results.single.tool})`, `${fmt(results.single.eventsPerSec)} ev/s, p50 ${results.single.p50} / p99 ${results.single.p99} ms`, `bare Fastify route ${fmt(results.singleBare.eventsPerSec)} req/s, p99 ${results.singleBare.p99} ms`, pctOf(results.single.eventsPerSec, results.singleBare.eventsPerSec));
  row('ingest', '  bare Nest route (our framework, no key, no checks, no database)', `${fmt(results.singleNest.eventsPerSec)} req/s, p99 ${results.singleNest.p99} ms`, `bare Fastify route ${fmt(results.singleBare.eventsPerSec)} req/s`, pctOf(results.singleNest.eventsPerSec, results.singleBare.eventsPerSec));
}
for (const q of results.query ?? []) {
  row('query', `first page, ${q.label}, ${fmt(QUERY_ROWS)} events`, `p50 ${q.api.p50.toFixed(1)} / p99 ${q.api.p99.toFixed(1)} ms`, `same SQL: p50 ${q.sql.p50.toFixed(1)} / p99 ${q.sql.p99.toFixed(1)} ms`, `${(q.api.p99 / q.sql.p99).toFixed(1)}× p99`);
}
if (results.storage) {
  const st = results.storage;
  rows.push([`bytes per event (${fmt(st.events)} stored)`, `table ${fmt(st.tableBytesPerEvent)} B`, `indexes ${fmt(st.indexBytesPerEvent)} B`, '—']);
}
if (results.export) {
  const e = results.export;
  row('export', `CSV export, ${fmt(e.rows)} events (worker)`, `${fmt(e.rowsPerSec)} rows/s, peak RSS ${fmt(e.peakRssMb)} MB`, `COPY … TO ${fmt(e.copyTo.rowsPerSec)} rows/s`, pctOf(e.rowsPerSec, e.copyTo.rowsPerSec));
}
if (results.integrity) {
  const i = results.integrity;
  row('integrity', `sealing ${fmt(i.sealed)} events (started by the bench)`, `${fmt(i.sealPerSec)} ev/s`, results.batch ? `batch ingest ${fmt(results.batch.eventsPerSec)} ev/s` : '—', results.batch ? `${fmt(i.sealPerSec / results.batch.eventsPerSec, 1)}×` : '—');
  rows.push([`verify ${fmt(i.verified)} events (API)`, `${fmt(i.verifyMs / 1000, 1)} s`, i.verifyOk ? 'ok' : 'NOT ok', '—']);
}
if (results.forwarding) {
  const f = results.forwarding;
  rows.push([`forwarding at ${fmt(f.rate)} ev/s for ${f.seconds} s, webhook`, `lag p50 ${f.lag.p50} / p99 ${f.lag.p99} ms`, `${fmt(f.delivered)} of ${fmt(f.stored)} delivered`, f.missing === 0 && f.inOrder ? 'complete, in order' : `${f.missing} missing`]);
}
for (const o of results.overload ?? []) {
  rows.push([`GET /v1/events, 1,024 conns, ${o.label}`, `${fmt(o.okPerSec)} × 200/s`, `p99 ${fmt(o.p99)} ms (all answers)`, `${fmt((100 * o.shed) / Math.max(1, o.total))} % 503`]);
}
if (results.retention) {
  const r = results.retention;
  rows.push([`purge ${fmt(r.purged)} expired events`, `${fmt(r.purgeMs / 1000, 1)} s`, `${r.partitionsDropped} partitions dropped`, '—']);
  row('retention', `ingest p99 at ${fmt(r.ingestRate)}/s during the purge`, `${r.during.p99} ms`, `before: ${r.before.p99} ms`, r.before.p99 > 0 ? `${fmt((100 * (r.during.p99 - r.before.p99)) / r.before.p99)} %` : '—');
}
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), 8));
console.log('\n' + ['what', 'measured', 'baseline in the same run', 'ratio'].map((h, i) => h.padEnd(widths[i])).join(' | '));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join(' | '));
console.log('\nTargets: batch ≥ 80 % of COPY into our table and ≥ 60 % of the bare table; single ≥ 90 % of the bare route with p99 ≤ 25 ms; first page p99 ≤ 20 ms; export ≥ 150,000 rows/s with worker RSS ≤ 256 MB; ingest p99 moves ≤ 20 % during a purge; forwarding lag p99 ≤ 1 s, nothing missing or out of order; sealing faster than batch ingest; verify of 1M events ≤ 5 s.');

// The same table as Markdown, with when and where it was measured.
const pgVersion = await (async () => {
  const c = new pg.Client({ connectionString: ownerBase });
  await c.connect();
  const v = (await c.query('SHOW server_version')).rows[0].server_version;
  await c.end();
  return v;
})();
const machine = `${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'CPU'}, ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, PostgreSQL ${pgVersion}`;
const md = [
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine} (api, worker, PostgreSQL and the load generator share the cores); \`npm run bench${SECTIONS.size < 7 ? ` with BENCH_SECTIONS=${[...SECTIONS].join(',')}` : ''}\`, ${fmt(QUERY_ROWS)} events for the queries.`,
  '',
  '| what | measured | baseline in the same run | ratio |',
  '| --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.map((c) => c.trim().replace(/\|/g, '\\|')).join(' | ')} |`),
  '',
  `Load at the start of each section: ${Object.entries(sections).map(([k, v]) => `${k} ${v.load1.toFixed(2)} (${fmt(v.idle)} % idle)`).join(', ')}.`,
].join('\n');
mkdirSync(join(ROOT, 'test-results'), { recursive: true });
writeFileSync(join(ROOT, 'test-results', 'bench.md'), md + '\n');
writeFileSync(join(ROOT, 'test-results', 'bench.json'), JSON.stringify({ at: new Date().toISOString(), machine, sections, results }, null, 2));
if (WRITE_README) {
  const readmePath = join(ROOT, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const begin = '<!-- bench:begin -->';
  const stop = '<!-- bench:end -->';
  if (!readme.includes(begin) || !readme.includes(stop)) throw new Error(`README.md has no ${begin} … ${stop} block`);
  writeFileSync(readmePath, readme.slice(0, readme.indexOf(begin) + begin.length) + '\n' + md + '\n' + readme.slice(readme.indexOf(stop)));
  console.log('[bench] README.md: the table between the bench markers is replaced');
}
// Exports written by sections that did not reach their own clean-up.
rmSync(EXPORT_DIR, { recursive: true, force: true });
process.exit(0);
