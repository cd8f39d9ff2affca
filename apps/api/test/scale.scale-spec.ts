import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Client } from 'pg';
import { runMigrations } from '@audit-trail/data';
import {
  call,
  closeReceivers,
  createDestination,
  createTenant,
  download,
  freePort,
  type PostgresPair,
  type RedisCluster,
  receiver,
  spawnApi,
  startPostgresPair,
  startRedisCluster,
  startWorker,
  stopChild,
  type Tenant,
  waitForExport,
  webhookIds,
} from './harness';

// npm run scale-test: the whole system spread out on loopback — a three-master
// Redis Cluster, a PostgreSQL primary with a streaming replica, two api and
// two worker processes, a webhook receiver — under mixed load, with one api
// and one worker SIGKILLed mid-run and restarted. Then every acknowledged
// event is accounted for. Not part of npm test (about two minutes); the
// summary line is written to test-results/scale.txt and printed last.

const PHASE_MS = Number(process.env.SCALE_PHASE_MS ?? 8000);
const CHAOS_MS = Number(process.env.SCALE_CHAOS_MS ?? 20_000);
const APP_PASSWORD = 'audit_app_scale_test';
const RETENTION_PASSWORD = 'audit_retention_scale_test';

type Api = Awaited<ReturnType<typeof spawnApi>>;
let cluster: RedisCluster;
let pair: PostgresPair;
let env: Record<string, string>;
const apis: Api[] = [];
const workers: ChildProcess[] = [];
const servers: Server[] = [];
const exportDir = mkdtempSync(join(tmpdir(), 'audit-scale-exports-'));

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  pair = await startPostgresPair('audit_trail', (ownerUrl) => runMigrations({ DATABASE_URL: ownerUrl, APP_DB_PASSWORD: APP_PASSWORD, RETENTION_DB_PASSWORD: RETENTION_PASSWORD }, { silent: true }).then(() => undefined));
  env = {
    DATABASE_URL: pair.primaryUrl,
    APP_DB_PASSWORD: APP_PASSWORD,
    RETENTION_DB_PASSWORD: RETENTION_PASSWORD,
    DATABASE_REPLICA_URLS: pair.replicaUrl('audit_app', APP_PASSWORD),
    REDIS_URL: cluster.url,
    QUEUE_PREFIX: 'scale',
    EXPORT_DIR: exportDir,
    EXPORT_LOCK_MS: '2000',
    FORWARDING_ENABLED: 'true',
    FORWARDING_TICK_MS: '200',
    FORWARDING_LOCK_MS: '2000',
    FORWARDING_BACKOFF_MS: '100',
    WORKER_HEARTBEAT_MS: '1000',
    LOG_LEVEL: 'error',
  };
  apis.push(await spawnApi(env), await spawnApi(env));
  workers.push(await startWorker({ ...env, WORKER_HEALTH_PORT: String(await freePort()) }), await startWorker({ ...env, WORKER_HEALTH_PORT: String(await freePort()) }));
}, 180_000);

afterAll(async () => {
  closeReceivers(servers);
  for (const a of apis) await a.close().catch(() => undefined);
  for (const w of workers) await stopChild(w).catch(() => undefined);
  await pair?.close();
  await cluster?.close();
  rmSync(exportDir, { recursive: true, force: true });
});

/** The load generator's own books: what each api acknowledged. */
class Books {
  acked = new Set<string>();
  idem = new Map<string, string>();
  idemMismatch = 0;
  refused = 0; // connection refused or reset: the api was down, nothing acknowledged
  errors = new Map<number, number>();
  queries = 0;
  count(status: number) {
    this.errors.set(status, (this.errors.get(status) ?? 0) + 1);
  }
}

async function post(url: string, key: string, body: unknown): Promise<{ status: number; ids?: string[] } | null> {
  try {
    const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json().catch(() => null)) as { ids?: string[]; id?: string } | null;
    return { status: res.status, ids: json?.ids ?? (json?.id ? [json.id] : undefined) };
  } catch {
    return null; // no answer: the process is gone
  }
}

const ev = (action: string, actor: string, extra: Record<string, unknown> = {}) => ({ action, actor: { type: 'user', id: actor }, occurred_at: new Date().toISOString(), ...extra });

/** Run `n` loops of `step` until `ms` has passed. */
async function loops(n: number, ms: number, step: (i: number) => Promise<void>): Promise<void> {
  const end = Date.now() + ms;
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    while (Date.now() < end) await step(i);
  }));
}

async function throughput(x: Tenant, targets: () => string[], books: Books): Promise<number> {
  let events = 0;
  const started = Date.now();
  let turn = 0;
  await loops(4, PHASE_MS, async () => {
    const list = targets();
    const url = list[turn++ % list.length];
    const res = await post(url, x.key, { events: Array.from({ length: 500 }, () => ev('tput.batch', 'scale-tput')) });
    if (res?.status === 202 && res.ids) {
      for (const id of res.ids) books.acked.add(id);
      events += res.ids.length;
    } else if (res) books.count(res.status);
  });
  return events / ((Date.now() - started) / 1000);
}

/** One statement on the primary as its owner. */
async function onPrimary<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
  const c = new Client({ connectionString: pair.primaryUrl });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as R[];
  } finally {
    await c.end();
  }
}

async function readMetrics(url: string): Promise<{ replica: number; primary: number }> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text()).catch(() => '');
  const num = (target: string) => Number(new RegExp(`^audit_db_reads_total\\{target="${target}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { replica: num('replica'), primary: num('primary') };
}

it('loses nothing acknowledged with the system spread out and processes killed mid-run', async () => {
  const [a] = apis;
  const x = await createTenant(a, 'enterprise', 'Scale Co');
  const readKey = (await call(a.url, 'POST', '/v1/api-keys', { session: x.owner, body: { name: 'reader', scopes: ['events:read'] } })).body.key as string;
  const rx = await receiver(servers);
  const dest = await createDestination(a, x, { type: 'webhook', name: 'Load', url: rx.url, filter: { actions: ['load.*'] } });
  expect(dest.id).toBeTruthy();
  const books = new Books();

  // 1. Throughput: batch ingest through one api, then through both; and the WAL it wrote per event.
  const walBefore = (await onPrimary<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))[0].lsn;
  const ackedBefore = books.acked.size;
  const one = await throughput(x, () => [apis[0].url], books);
  const two = await throughput(x, () => [apis[0].url, apis[1].url], books);
  const walBytes = Number((await onPrimary<{ d: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::text AS d', [walBefore]))[0].d);
  const walPerEvent = walBytes / Math.max(1, books.acked.size - ackedBefore);
  // The replica's lag as the apis saw it, sampled through the mixed load below.
  let maxLag = 0;
  const lagSampler = setInterval(() => {
    for (const api of apis) {
      void fetch(`${api.url}/metrics`)
        .then((r) => r.text())
        .then((t) => {
          const m = /^audit_db_replica_lag_seconds\{[^}]*\} (\S+)$/m.exec(t);
          if (m) maxLag = Math.max(maxLag, Number(m[1]));
        })
        .catch(() => undefined);
    }
  }, 500);

  // 2. Mixed load over both apis; one api and one worker SIGKILLed, then restarted.
  let live = [apis[0].url, apis[1].url];
  const reads = { replica: 0, primary: 0 };
  const addReads = (m: { replica: number; primary: number }) => ((reads.replica += m.replica), (reads.primary += m.primary));
  let turn = 0;
  const pick = () => live[turn++ % live.length];
  const chaos = (async () => {
    await new Promise((r) => setTimeout(r, CHAOS_MS * 0.3));
    addReads(await readMetrics(apis[1].url)); // its counters die with it
    apis[1].child.kill('SIGKILL');
    workers[0].kill('SIGKILL');
    live = [apis[0].url];
    await new Promise((r) => setTimeout(r, CHAOS_MS * 0.25));
    apis[1] = await spawnApi(env);
    workers[0] = await startWorker({ ...env, WORKER_HEALTH_PORT: String(await freePort()) });
    live = [apis[0].url, apis[1].url];
  })();
  let midExport: string | null = null;
  const exporter = (async () => {
    await new Promise((r) => setTimeout(r, CHAOS_MS * 0.5));
    const res = await call(apis[0].url, 'POST', '/v1/exports', { key: x.key, body: { format: 'ndjson', actor_id: 'scale-load' } });
    midExport = res.status === 202 ? (res.body.id as string) : null;
  })();
  await loops(7, CHAOS_MS, async (i) => {
    if (i < 2) {
      // Batches of 100.
      const res = await post(pick(), x.key, { events: Array.from({ length: 100 }, () => ev('load.batch', 'scale-load')) });
      if (res?.status === 202 && res.ids) res.ids.forEach((id) => books.acked.add(id));
      else if (res) books.count(res.status);
      else books.refused++;
    } else if (i < 4) {
      const res = await post(pick(), x.key, ev('load.single', 'scale-load'));
      if (res?.status === 202 && res.ids) books.acked.add(res.ids[0]);
      else if (res) books.count(res.status);
      else books.refused++;
    } else if (i === 4) {
      // Idempotent: each key sent twice, to both apis when both are up; until acknowledged, like a careful client.
      const idem = `idem-${randomUUID()}`;
      for (let n = 0; n < 2; n++) {
        for (let attempt = 0; attempt < 50; attempt++) {
          const res = await post(pick(), x.key, ev('load.idem', 'scale-load', { idempotency_key: idem }));
          if (res?.status === 202 && res.ids) {
            const first = books.idem.get(idem);
            if (first && first !== res.ids[0]) books.idemMismatch++;
            books.idem.set(idem, res.ids[0]);
            books.acked.add(res.ids[0]);
            break;
          }
          if (res) books.count(res.status);
          else books.refused++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } else {
      const url = pick();
      try {
        const res = await fetch(`${url}/v1/events?limit=50`, { headers: { authorization: `Bearer ${readKey}` } });
        await res.arrayBuffer();
        books.queries++;
        if (res.status !== 200) books.count(res.status);
      } catch {
        books.refused++;
      }
    }
  });
  await chaos;
  await exporter;
  clearInterval(lagSampler);

  // 3. Account for everything.
  const storedRows = await onPrimary<{ id: string; idempotency_key: string | null; actor_id: string }>(
    `SELECT id::text, idempotency_key, actor_id FROM audit_events WHERE account_id = $1 AND actor_id IN ('scale-load', 'scale-tput')`,
    [x.accountId],
  );
  const duplicateKeys = (await onPrimary<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT idempotency_key FROM audit_events WHERE account_id = $1 AND idempotency_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d`,
    [x.accountId],
  ))[0].n;
  const stored = new Set(storedRows.map((r) => r.id));
  const lost = [...books.acked].filter((id) => !stored.has(id)).length;
  const loadIds = new Set(storedRows.filter((r) => r.actor_id === 'scale-load').map((r) => r.id));

  // Exports: the one asked for mid-run completed despite the killed worker; one asked for now is exact.
  if (midExport) await waitForExport(apis[0], x, midExport, 'completed', 120_000);
  const last = await call(apis[0].url, 'POST', '/v1/exports', { key: x.key, body: { format: 'ndjson', actor_id: 'scale-load' } });
  expect(last.status).toBe(202);
  const done = await waitForExport(apis[0], x, last.body.id, 'completed', 120_000);
  const file = await download(done.download_url);
  const text = (file.body[0] === 0x1f ? gunzipSync(file.body) : file.body).toString('utf8');
  const exported = text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id);
  const exportExact = exported.length === loadIds.size && exported.every((id) => loadIds.has(id));

  // Forwarding: every load event delivered, first deliveries in the log's commit order (the feed's).
  const deadline = Date.now() + 180_000;
  const firstSeen = () => [...new Set(webhookIds(rx.accepted))].filter((id) => loadIds.has(id));
  while (firstSeen().length < loadIds.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  const delivered = firstSeen();
  const feedOrder: string[] = [];
  let position: string | null = null;
  for (;;) {
    const page: { body: { entries: { id: string }[]; next_position: string | null } } = await call(apis[0].url, 'GET', `/v1/events/feed?scope=account&limit=1000${position ? `&after=${encodeURIComponent(position)}` : ''}`, { key: x.key });
    for (const e of page.body.entries) if (loadIds.has(e.id)) feedOrder.push(e.id);
    if (!page.body.entries.length || page.body.next_position === position) break;
    position = page.body.next_position;
  }
  const inOrder = delivered.length === feedOrder.length && delivered.every((id, i) => id === feedOrder[i]);
  const redelivered = webhookIds(rx.accepted).filter((id) => loadIds.has(id)).length - delivered.length;

  for (const api of apis) addReads(await readMetrics(api.url));
  const replicaShare = reads.replica + reads.primary ? reads.replica / (reads.replica + reads.primary) : 0;
  const errors = [...books.errors.entries()].map(([s, n]) => `${s}×${n}`).join(' ') || 'none';

  const line =
    `scale: ${books.acked.size} acknowledged, ${stored.size} stored, ${lost} lost, ${duplicateKeys} duplicated, ` +
    `export ${exportExact ? 'exact' : 'NOT EXACT'} (${exported.length} of ${loadIds.size} rows), ` +
    `forwarding ${delivered.length}/${loadIds.size} ${inOrder ? 'in order' : 'OUT OF ORDER'} (${redelivered} redelivered), ` +
    `replica served ${(replicaShare * 100).toFixed(0)}% of ${reads.replica + reads.primary} reads, ` +
    `batch ingest ${Math.round(one)} ev/s with 1 api vs ${Math.round(two)} ev/s with 2`;
  const details = `WAL ${Math.round(walPerEvent)} B per event under batch ingest; replica lag at most ${maxLag.toFixed(2)} s under the mixed load; while one api was down: ${books.refused} requests found no process; other answers: ${errors}; idempotent keys ${books.idem.size} (${books.idemMismatch} answered with two ids); ${books.queries} queries`;
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/scale.txt', `${details}\n${line}\n`);

  expect(lost).toBe(0);
  expect(duplicateKeys).toBe(0);
  expect(books.idemMismatch).toBe(0);
  expect(exportExact).toBe(true);
  expect(delivered.length).toBe(loadIds.size);
  expect(inOrder).toBe(true);
  expect(reads.replica).toBeGreaterThan(0);
  // 5xx other than 503 (a dependency or the load shedder) is a defect.
  expect([...books.errors.keys()].filter((s) => s >= 500 && s !== 503)).toEqual([]);
}, 900_000);
