#!/usr/bin/env node
// npm run profile:ingest: where batch ingest's time goes, in two halves.
//  1. The api: a CPU profile (node --cpu-prof) of the real api under batch
//     ingest (1,000 events a request, 4 in flight), summed by what each
//     function belongs to (HTTP, JSON, validation, our normalisation, the SQL
//     text, the pg driver, garbage collection, idle).
//  2. PostgreSQL: the writer's 1,000-event transaction (COPY into a staging
//     table, INSERT … SELECT) timed on its own, with the idempotency claim,
//     next to the JSON literal it replaced, the decoding alone, and without
//     each secondary index in turn (in this throwaway database); plus EXPLAIN
//     (ANALYZE, BUFFERS, WAL) of one insert.
// Nothing is asserted; it prints a breakdown. PROFILE_BATCHES (default 200).
// PROFILE_MODE=single profiles single-event ingest instead (wrk, 64
// connections, 15 s) and skips the PostgreSQL half. PROFILE_OUT=file keeps
// the raw .cpuprofile.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { requireRedis, ROOT } from './lib/env.mjs';
import { migrate, recreateDatabase, TEST_PASSWORDS } from './lib/testdb.mjs';

const ownerUrl = process.env.PROFILE_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/audit_trail_profile';
const PORT = Number(process.env.PROFILE_PORT ?? 3450);
const BATCHES = Number(process.env.PROFILE_BATCHES ?? 200);
const SINGLE = process.env.PROFILE_MODE === 'single';
const base = `http://127.0.0.1:${PORT}`;
const OPERATOR = 'profile-operator-token-0123456789';
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

await requireRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
spawnSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
await recreateDatabase(ownerUrl);
migrate(ownerUrl, { stdio: 'ignore' });

const ACTIONS = ['document.create', 'document.update', 'document.delete', 'member.invited', 'auth.login', 'project.create'];
const sampleEvent = (i) => ({
  action: ACTIONS[i % ACTIONS.length],
  actor: { type: 'user', id: `u_${i % 100}`, email: `user${i % 100}@bench.test`, name: `User ${i % 100}` },
  target: { type: 'document', id: `d_${i % 5000}`, name: `Doc ${i % 5000}` },
  context: { ip: `203.0.${(i >> 8) % 256}.${i % 256}`, user_agent: 'bench/1.0' },
  metadata: { size: i, path: `/docs/${i % 5000}`, tags: ['a', 'b'] },
});

// 1. The api under a CPU profiler.
const profDir = mkdtempSync(join(tmpdir(), 'audit-profile-'));
const env = { ...process.env, ...TEST_PASSWORDS, DATABASE_URL: ownerUrl, PORT: String(PORT), OPERATOR_TOKEN: OPERATOR, LOG_LEVEL: 'warn', SESSION_SECRET: 'profile-session-secret-0123456789abcdef', NODE_ENV: 'production', QUEUE_PREFIX: `profile-${randomUUID().slice(0, 8)}` };
const api = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, 'apps/api/dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
process.on('exit', () => api.kill('SIGKILL'));
for (let i = 0; i < 150 && !(await fetch(`${base}/readyz`).then((r) => r.ok).catch(() => false)); i++) await new Promise((r) => setTimeout(r, 200));
const email = `profile-${randomUUID().slice(0, 8)}@profile.test`;
const s = await fetch(`${base}/v1/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account_name: 'Profile', email, password: 'profile password 123' }) });
const signup = await s.json();
const cookie = s.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
await fetch(`${base}/v1/operator/accounts/${signup.account_id}/plan`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR}` }, body: JSON.stringify({ plan: 'premium' }) });
const k = await fetch(`${base}/v1/api-keys`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': signup.csrf_token }, body: JSON.stringify({ name: 'profile', scopes: ['events:write'] }) });
const key = (await k.json()).key;
const body = JSON.stringify({ events: Array.from({ length: 1000 }, (_, i) => sampleEvent(i)) });
const post = async () => {
  const r = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
  if (r.status !== 202) throw new Error(`ingest ${r.status} ${await r.text()}`);
  await r.arrayBuffer();
};
for (let i = 0; i < 10; i++) await post(); // warm-up
if (SINGLE) {
  const { writeFileSync } = await import('node:fs');
  const lua = join(profDir, 'post.lua');
  writeFileSync(lua, `wrk.method = "POST"\nwrk.body = [[${JSON.stringify(sampleEvent(7))}]]\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer ${key}"\n`);
  const out = spawnSync('wrk', ['-t2', '-c64', '-d15s', '--latency', '-s', lua, `${base}/v1/events`], { encoding: 'utf8' }).stdout ?? '';
  console.log(`[profile] api: single events, wrk 64 connections: ${/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? '?'} req/s, p50 ${/50%\s+(\S+)/.exec(out)?.[1] ?? '?'}, p99 ${/99%\s+(\S+)/.exec(out)?.[1] ?? '?'}`);
} else {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next++ < BATCHES) await post();
  }));
  const secs = (performance.now() - t0) / 1000;
  console.log(`[profile] api: ${fmt((BATCHES * 1000) / secs)} events/s over ${BATCHES} batches of 1,000 (4 in flight)`);
}
await new Promise((r) => {
  api.once('exit', r);
  api.kill('SIGTERM');
});

/** Sum a .cpuprofile's self time by what each function belongs to. */
function summarise(file) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The profile starts with the process: what ran under the module loader is start-up, not ingest.
  const startUp = (id) => {
    for (let x = id; x !== undefined; x = parent.get(x)) if (byId.get(x).callFrame.functionName === 'Module._load') return true;
    return false;
  };
  const self = new Map();
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
  const bucket = (n) => {
    const { functionName: f, url } = n.callFrame;
    if (startUp(n.id)) return 'start-up (loading modules; not ingest)';
    if (f === '(idle)') return 'idle (waiting for PostgreSQL or the network)';
    if (f === '(garbage collector)') return 'garbage collection';
    if (f === '(program)') return 'V8 and native (program)';
    if (/JSON\.parse|^parse$/.test(f) && !url) return 'JSON.parse (request body)';
    if (f === 'stringify' && !url) return 'JSON.stringify';
    if (url.includes('/node_modules/zod/')) return 'zod validation';
    if (url.includes('/node_modules/pg') || url.includes('pg-protocol')) return 'pg driver (protocol, escapeLiteral)';
    if (url.includes('/node_modules/fastify') || url.includes('/node_modules/find-my-way') || url.includes('/node_modules/@nestjs') || url.includes('/node_modules/avvio') || url.includes('node:_http') || url.includes('node:internal/http') || url.includes('node:internal/streams') || url.includes('node:net')) return 'HTTP (Node, Fastify, Nest)';
    if (url === 'node:async_hooks' || url.startsWith('node:internal/async_hooks') || f === 'deprecate') return 'async context (async_hooks, AsyncResource#bind)';
    if (url.startsWith('node:internal/crypto')) return 'crypto (key hash, random bytes)';
    if (url.includes('/libs/audit-core/')) return 'our normalisation and checks (audit-core)';
    if (url.includes('/libs/data/')) return 'our SQL text (libs/data)';
    if (url.includes('/libs/engines/')) return 'our writer (libs/engines)';
    if (url.includes('/apps/api/')) return 'our api code (guards, hygiene, service)';
    if (!url) return `native: ${f || '(anonymous)'}`;
    return 'other JavaScript';
  };
  const sums = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const b = bucket(byId.get(id));
    sums.set(b, (sums.get(b) ?? 0) + us);
    total += us;
  }
  const top = [...self].map(([id, us]) => ({ us, f: byId.get(id).callFrame })).sort((a, b) => b.us - a.us).slice(0, 15);
  return { total, sums: [...sums].sort((a, b) => b[1] - a[1]), top };
}
const profFile = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
if (profFile) {
  const { total, sums, top } = summarise(join(profDir, profFile));
  console.log(`[profile] api CPU profile, self time by kind (${fmt(total / 1e6, 1)} s sampled):`);
  for (const [b, us] of sums.filter(([, us]) => us / total >= 0.005)) console.log(`  ${fmt((100 * us) / total, 1).padStart(5)} %  ${b}`);
  console.log('[profile] the 15 functions with the most self time:');
  for (const t of top) console.log(`  ${fmt((100 * t.us) / total, 1).padStart(5)} %  ${t.f.functionName || '(anonymous)'}  ${t.f.url.replace(ROOT + '/', '').replace('file://', '')}:${t.f.lineNumber + 1}`);
}
if (profFile && process.env.PROFILE_OUT) {
  const { copyFileSync } = await import('node:fs');
  copyFileSync(join(profDir, profFile), process.env.PROFILE_OUT);
  console.log(`[profile] the raw profile: ${process.env.PROFILE_OUT} (open it in Chrome DevTools)`);
}
rmSync(profDir, { recursive: true, force: true });
if (SINGLE) process.exit(0);

// 2. PostgreSQL alone: the writer's statements for 1,000 events, as the app role in the tenant's transaction.
const appUrl = new URL(ownerUrl);
appUrl.username = 'audit_app';
appUrl.password = TEST_PASSWORDS.APP_DB_PASSWORD;
const { Database, EVENT_COLUMNS, EVENT_STAGING, eventCopyText, insertStagedEventsSql } = await import(join(ROOT, 'libs/data/dist/index.js'));
const db = new Database(appUrl.toString(), 1);
const c = new pg.Client({ connectionString: appUrl.toString() });
await c.connect();
const owner = new pg.Client({ connectionString: ownerUrl });
await owner.connect();
const apiKeyId = randomUUID();
const records = (keyed) => {
  const now = new Date();
  return Array.from({ length: 1000 }, (_, i) => {
    const e = sampleEvent(i);
    return {
      account_id: signup.account_id, id: randomUUID(), workspace_id: null, occurred_at: now, received_at: now, action: e.action, category: 'content',
      actor_type: 'user', actor_id: e.actor.id, actor_email: e.actor.email, actor_name: e.actor.name, target_type: e.target.type, target_id: e.target.id, target_name: e.target.name,
      ip: e.context.ip, user_agent: e.context.user_agent, outcome: 'success', metadata: e.metadata, changes: null, idempotency_key: keyed ? randomUUID() : null, source: 'api', api_key_id: apiKeyId,
    };
  });
};
const ROUNDS = 30;
/** Median ms of ROUNDS runs of `run(prepared)`, where `prepare()` builds the input outside the timing. */
async function time(label, prepare, run) {
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const input = prepare();
    const t = performance.now();
    await run(input);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(ROUNDS / 2)];
  console.log(`  ${label.padEnd(66)} ${fmt(ms, 1).padStart(6)} ms  (${fmt(1000 / (ms / 1000))} ev/s)`);
  return ms;
}
const staged = (keyed) => time(
  keyed ? 'COPY into staging + INSERT … SELECT, every event keyed' : 'COPY into staging + INSERT … SELECT (what the writer does)',
  () => eventCopyText(records(keyed)),
  (text) => db.stagedAcrossTenants({ ...EVENT_STAGING, text }, [{ accountId: signup.account_id, sql: insertStagedEventsSql(signup.account_id, keyed).sql }]),
);
const cols = EVENT_COLUMNS.join(', ');
const tenantTx = (sql) => `BEGIN; SELECT set_config('app.account_id', '${signup.account_id}', true); ${sql}; COMMIT;`;
// The api run left ~200,000 new rows: let autovacuum's work happen now, not during the timings.
await owner.query('VACUUM ANALYZE audit_events');
console.log(`[profile] PostgreSQL: 1,000 events, median of ${ROUNDS} (committed each time):`);
const full = await staged(false);
await staged(true);
await time('before: INSERT … SELECT FROM json_populate_recordset(literal)', () => c.escapeLiteral(JSON.stringify(records(false))), (lit) => c.query(tenantTx(`INSERT INTO audit_events (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::audit_events, ${lit}::json)`)));
await time('decode only, JSON: SELECT count(*) FROM json_populate_recordset', () => c.escapeLiteral(JSON.stringify(records(false))), (lit) => c.query(`SELECT count(*) FROM json_populate_recordset(NULL::audit_events, ${lit}::json)`));
await time('decode only, COPY text into the staging table', () => eventCopyText(records(false)), (text) => db.stagedAcrossTenants({ ...EVENT_STAGING, text }, []));
const statement = (keyed) => insertStagedEventsSql(signup.account_id, keyed).sql;
const indexes = (await owner.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'audit_events' AND indexname <> 'audit_events_pkey' ORDER BY indexname`)).rows.map((r) => r.indexname);
// Each index's cost, paired: the same number of rounds with it and without it, back to back.
const writerTx = (text) => db.stagedAcrossTenants({ ...EVENT_STAGING, text }, [{ accountId: signup.account_id, sql: statement(false) }]);
for (const ix of indexes) {
  const def = (await owner.query(`SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_events' AND indexname = $1`, [ix])).rows[0].indexdef;
  const withIt = await time(`  with every index`, () => eventCopyText(records(false)), writerTx);
  await owner.query(`DROP INDEX ${ix}`);
  const without = await time(`  without ${ix}`, () => eventCopyText(records(false)), writerTx);
  console.log(`    → ${ix}: ${fmt(withIt - without, 1)} ms of ${fmt(withIt, 1)}`);
  await owner.query(def.replace(' ON ONLY ', ' ON '));
}
// EXPLAIN of the INSERT … SELECT, with the staging table filled in the same transaction.
const ex = await db.pool.connect();
await ex.query(`BEGIN; ${EVENT_STAGING.create}`);
const { from: copyFrom } = await import('pg-copy-streams');
const { pipeline } = await import('node:stream/promises');
const { Readable } = await import('node:stream');
await pipeline(Readable.from([eventCopyText(records(false))]), ex.query(copyFrom(EVENT_STAGING.copy)));
const explain = await ex.query(`SELECT set_config('app.account_id', '${signup.account_id}', true); EXPLAIN (ANALYZE, BUFFERS, WAL, TIMING OFF) ${statement(false)}`);
await ex.query('ROLLBACK');
ex.release();
const plan = explain.find((r) => r.fields?.[0]?.name === 'QUERY PLAN');
console.log('[profile] EXPLAIN (ANALYZE, BUFFERS, WAL) of one INSERT … SELECT from the staging table:');
for (const r of plan.rows) console.log(`  ${r['QUERY PLAN']}`);
await db.close();
await c.end();
await owner.end();
process.exit(0);
