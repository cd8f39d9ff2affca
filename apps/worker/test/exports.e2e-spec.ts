import './exports-env';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@audit-trail/config';
import { exportJobId, JOBS, QUEUES, redisConnection, type RunExportPayload } from '@audit-trail/queues';
import { issueDownloadToken } from '@audit-trail/engines';
import { Queue, Worker } from 'bullmq';
import { parse } from 'csv-parse/sync';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MaintenanceProcessor } from '../src/maintenance.processor';
import { WorkerModule } from '../src/worker.module';
import { call, createTenant, event, ownerClient, setPlan, spawnWorker, startApp, type Tenant, type TestApp } from '../../api/test/harness';

const exportDir = mkdtempSync(join(tmpdir(), 'audit-exports-'));
const env = { QUEUE_PREFIX: `test-exp-${randomUUID().slice(0, 8)}`, EXPORT_DIR: exportDir, EXPORT_LOCK_MS: '2000' };
let t: TestApp;
let worker: INestApplicationContext;
let acme: Tenant;
let globex: Tenant;

beforeAll(async () => {
  t = await startApp(env);
  worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(loadConfig({ ...process.env, ...env })), { logger: false });
  await worker.init();
  acme = await createTenant(t, 'premium', 'Acme');
  globex = await createTenant(t, 'premium', 'Globex');
});
afterAll(async () => {
  await worker?.close();
  await t?.close();
});

async function waitFor(tenant: Tenant, id: string, status = 'completed', timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(t.url, 'GET', `/v1/exports/${id}`, { key: tenant.key });
    if (res.body.status === status) return res.body;
    if (res.body.status === 'failed' || Date.now() > end) throw new Error(`export ${id}: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function download(url: string): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

describe('exports', () => {
  const tricky = [
    { action: 'formula.test', actor: { type: 'user', id: '=SUM(A1:A9)', email: 'alice@acme.com', name: '+cmd|calc' }, target: { type: 'doc', name: '-2+3' }, metadata: { note: '@import, "quoted", and\nnew line', ü: 'ünïcödé' } },
    { action: 'formula.test', actor: { type: 'user', id: 'u_2', name: '\tTabbed' }, context: { ip: '203.0.113.7' } },
    ...Array.from({ length: 28 }, (_, i) => event({ action: 'formula.test', actor: { type: 'user', id: `u_${i}` }, metadata: { i } })),
  ];

  it('writes a CSV that parses back to exactly the events, with formulas neutralised', async () => {
    const ingest = await call(t.url, 'POST', '/v1/events', { key: acme.key, body: { events: tricky } });
    expect(ingest.status).toBe(202);
    const res = await call(t.url, 'POST', '/v1/exports', { key: acme.key, body: { format: 'csv', action: ['formula.test'] } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: expect.any(String), status: 'queued', download_url: null });
    const done = await waitFor(acme, res.body.id);
    expect(done).toMatchObject({ status: 'completed', progress: 1, row_count: 30 });
    expect(done.download_url).toMatch(/\/v1\/exports\/.+\/download\?token=/);
    const file = await download(done.download_url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('text/csv');
    expect(createHash('sha256').update(file.body).digest('hex')).toBe(done.sha256);
    expect(file.body.length).toBe(done.bytes);
    const text = file.body.toString('utf8');
    expect(text.split('\r\n')[0]).toBe('id,occurred_at,received_at,scope,workspace_id,action,category,outcome,actor_type,actor_id,actor_email,actor_name,target_type,target_id,target_name,ip,user_agent,metadata,changes,source,api_key_id');
    const rows: Record<string, string>[] = parse(text, { columns: true });
    expect(rows).toHaveLength(30);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ingest.body.ids));
    const first = rows.find((r) => r.id === ingest.body.ids[0]) as Record<string, string>;
    expect(first.actor_id).toBe("'=SUM(A1:A9)");
    expect(first.actor_name).toBe("'+cmd|calc");
    expect(first.target_name).toBe("'-2+3");
    expect(JSON.parse(first.metadata)).toEqual({ note: '@import, "quoted", and\nnew line', ü: 'ünïcödé' });
    // Provenance: ingested with this key.
    const keyId = (await call(t.url, 'GET', '/v1/api-keys', { key: acme.key })).body.data.at(-1).id;
    expect([first.source, first.api_key_id]).toEqual(['api', keyId]);
    const second = rows.find((r) => r.id === ingest.body.ids[1]) as Record<string, string>;
    expect(second.actor_name).toBe("'\tTabbed");
    expect(second.ip).toBe('203.0.113.7');
    // Oldest first, like a ledger.
    const times = rows.map((r) => r.occurred_at);
    expect([...times].sort()).toEqual(times);
  });

  it('writes gzipped NDJSON equal to what the query API returns, with filters', async () => {
    const res = await call(t.url, 'POST', '/v1/exports', { key: acme.key, body: { format: 'ndjson', gzip: true, action: ['formula.test'], actor_id: 'u_3' } });
    const done = await waitFor(acme, res.body.id);
    const file = await download(done.download_url);
    expect(file.headers.get('content-type')).toBe('application/gzip');
    const lines = gunzipSync(file.body).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    const api = await call(t.url, 'GET', '/v1/events?action=formula.test&actor_id=u_3', { key: acme.key });
    // `sealed` is how the API shows integrity state, not a stored field; the export carries stored fields.
    expect(lines).toEqual(api.body.entries.map(({ sealed: _s, ...e }: Record<string, unknown>) => e));
    expect(done.row_count).toBe(1);
  });

  it('records export.requested and export.downloaded in the right log', async () => {
    const ws = await call(t.url, 'POST', '/v1/workspaces', { key: acme.key, body: { name: 'Exported WS' } });
    await call(t.url, 'POST', '/v1/events', { key: acme.key, body: event({ workspace_id: ws.body.id, action: 'ws.thing' }) });
    const res = await call(t.url, 'POST', '/v1/exports', { session: acme.owner, body: { format: 'csv', scope: 'workspace', workspace_id: ws.body.id } });
    expect(res.status).toBe(202);
    const done = await waitFor(acme, res.body.id);
    // A snapshot as of the request: the event, not the export.requested entry written after it.
    expect(done.row_count).toBe(1);
    expect((await download(done.download_url)).status).toBe(200);
    const log = await call(t.url, 'GET', `/v1/events?scope=workspace&workspace_id=${ws.body.id}&category=exports`, { key: acme.key });
    expect(log.body.entries.map((e: { action: string }) => e.action)).toEqual(['export.downloaded', 'export.requested']);
    // Requested in the console by the owner; the link was fetched (and so downloaded) with the API key.
    expect(log.body.entries[1]).toMatchObject({ actor_type: 'user', actor_id: acme.userId, actor_email: acme.email, target_id: res.body.id });
    expect(log.body.entries[0]).toMatchObject({ actor_type: 'api_key', target_id: res.body.id });
  });

  it('lists recent exports, and another tenant sees none of them', async () => {
    const mine = await call(t.url, 'GET', '/v1/exports', { key: acme.key });
    expect(mine.body.data.length).toBeGreaterThanOrEqual(3);
    const theirs = await call(t.url, 'GET', '/v1/exports', { key: globex.key });
    expect(theirs.body.data).toEqual([]);
    expect((await call(t.url, 'GET', `/v1/exports/${mine.body.data[0].id}`, { key: globex.key })).status).toBe(404);
  });

  it('refuses bad requests with 4xx and enqueues nothing', async () => {
    const c = await ownerClient();
    const count = async () => (await c.query('SELECT count(*)::int AS n FROM exports WHERE account_id = $1', [acme.accountId])).rows[0].n;
    const before = await count();
    const cases: [unknown, number][] = [
      [{ format: 'xlsx' }, 422],
      [{}, 422],
      [{ format: 'csv', from: 'last week' }, 422],
      [{ format: 'csv', from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 422],
      [{ format: 'csv', colour: 'red' }, 422],
      // Another account's workspace is answered like a made-up id.
      [{ format: 'csv', scope: 'workspace', workspace_id: globex.workspaceId }, 422],
    ];
    for (const [body, status] of cases) {
      const res = await call(t.url, 'POST', '/v1/exports', { key: acme.key, body });
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await count()).toBe(before);
    await c.end();
  });

  it('enforces the plan export window (403 ↔ 202 as the plan changes)', async () => {
    const ess = await createTenant(t, 'essentials', 'Window Co');
    const ago = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
    const tooFar = await call(t.url, 'POST', '/v1/exports', { key: ess.key, body: { format: 'csv', from: ago(40) } });
    expect(tooFar.status).toBe(403);
    expect(tooFar.body.type).toMatch(/\/plan-limit$/);
    expect(tooFar.body.detail).toMatch(/Essentials exports the last 30 days/);
    expect(tooFar.body.detail).toMatch(/Allowed range: \d{4}-\d\d-\d\dT.* to now/);
    expect((await call(t.url, 'POST', '/v1/exports', { key: ess.key, body: { format: 'csv', from: ago(20) } })).status).toBe(202);
    await setPlan(t, ess.accountId, 'premium');
    expect((await call(t.url, 'POST', '/v1/exports', { key: ess.key, body: { format: 'csv', from: ago(300) } })).status).toBe(202);
    expect((await call(t.url, 'POST', '/v1/exports', { key: ess.key, body: { format: 'csv', from: ago(400) } })).status).toBe(403);
    await setPlan(t, ess.accountId, 'free');
    expect((await call(t.url, 'POST', '/v1/exports', { key: ess.key, body: { format: 'csv' } })).status).toBe(404);
    expect((await call(t.url, 'GET', '/v1/exports', { key: ess.key })).status).toBe(404);
  });

  it('binds download links to the tenant and the export, and lets them expire (403)', async () => {
    const res = await call(t.url, 'POST', '/v1/exports', { key: acme.key, body: { format: 'csv', action: ['formula.test'] } });
    const done = await waitFor(acme, res.body.id);
    const url = new URL(done.download_url);
    const token = url.searchParams.get('token') as string;
    const tampered = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA');
    expect((await download(`${url.origin}${url.pathname}?token=${tampered}`)).status).toBe(403);
    expect((await download(`${url.origin}${url.pathname}`)).status).toBe(403);
    const other = await call(t.url, 'POST', '/v1/exports', { key: globex.key, body: { format: 'csv' } });
    await waitFor(globex, other.body.id);
    expect((await download(`${url.origin}/v1/exports/${other.body.id}/download?token=${token}`)).status).toBe(403);
    const expired = issueDownloadToken(t.config.SESSION_SECRET, { accountId: acme.accountId, exportId: done.id, expires: Math.floor(Date.now() / 1000) - 1, actorType: 'user', actorId: acme.userId });
    expect((await download(`${url.origin}${url.pathname}?token=${expired}`)).status).toBe(403);
    const forged = issueDownloadToken('not-the-secret-not-the-secret-000', { accountId: globex.accountId, exportId: done.id, expires: Math.floor(Date.now() / 1000) + 60, actorType: 'user', actorId: 'x' });
    expect((await download(`${url.origin}${url.pathname}?token=${forged}`)).status).toBe(403);
    // Each GET re-issues a fresh link.
    const again = await call(t.url, 'GET', `/v1/exports/${done.id}`, { key: acme.key });
    expect((await download(again.body.download_url)).status).toBe(200);
  });

  it('deletes expired files on the sweep and says so', async () => {
    const res = await call(t.url, 'POST', '/v1/exports', { key: acme.key, body: { format: 'csv', action: ['formula.test'] } });
    const done = await waitFor(acme, res.body.id);
    const c = await ownerClient();
    await c.query(`UPDATE exports SET expires_at = now() - interval '1 minute' WHERE id = $1`, [done.id]);
    const { rows } = await c.query('SELECT file_key FROM exports WHERE id = $1', [done.id]);
    await c.end();
    expect(existsSync(join(exportDir, rows[0].file_key))).toBe(true);
    const swept = await worker.get(MaintenanceProcessor).sweepExports(new Date());
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(exportDir, rows[0].file_key))).toBe(false);
    const after = await call(t.url, 'GET', `/v1/exports/${done.id}`, { key: acme.key });
    expect(after.body).toMatchObject({ status: 'expired', download_url: null });
  });
});

describe('a worker killed mid-export', () => {
  let bulk: Tenant;
  const children: ChildProcess[] = [];
  const N = 200_000;
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  function startWorker(): ChildProcess {
    const child = spawnWorker({ ...env, EXPORT_FETCH_ROWS: '200', EXPORT_PROGRESS_MS: '50' });
    children.push(child);
    return child;
  }

  it('leaves no visible half file, and the retry writes every row exactly once', async () => {
    bulk = await createTenant(t, 'premium', 'Bulk');
    // The in-process worker stays out of this test: only child processes take export jobs.
    await worker.close();
    const c = await ownerClient();
    await c.query(
      `INSERT INTO audit_events (account_id, id, occurred_at, received_at, action, category, actor_type, actor_id, outcome, metadata)
       SELECT $1, gen_random_uuid(), now() - make_interval(secs => g), now() - interval '1 hour', 'bulk.row', 'custom', 'user', 'u_' || (g % 50), 'success', jsonb_build_object('n', g)
       FROM generate_series(1, $2::int) g`,
      [bulk.accountId, N],
    );
    const first = startWorker();
    const res = await call(t.url, 'POST', '/v1/exports', { key: bulk.key, body: { format: 'csv', action: ['bulk.row'] } });
    expect(res.status).toBe(202);
    // Kill it once it is visibly part-way through. The worker first boots and seals the account's
    // 200,000 rows (the export's manifest covers them), which on a loaded 2-core machine can take
    // well over ten seconds: wait on a deadline, not a count of polls.
    let progress = 0;
    for (const end = Date.now() + 60_000; Date.now() < end && progress === 0; ) {
      progress = (await call(t.url, 'GET', `/v1/exports/${res.body.id}`, { key: bulk.key })).body.progress;
      if (progress === 0) await new Promise((r) => setTimeout(r, 25));
    }
    expect(progress).toBeGreaterThan(0);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const mid = await call(t.url, 'GET', `/v1/exports/${res.body.id}`, { key: bulk.key });
    expect(mid.body.status).toBe('running');
    expect(mid.body.download_url).toBeNull();
    const dir = join(exportDir, bulk.accountId);
    expect(readdirSync(dir).filter((f) => !f.endsWith('.part'))).toEqual([]);

    startWorker();
    const done = await waitFor(bulk, res.body.id, 'completed', 60_000);
    expect(done.row_count).toBe(N);
    const file = await download(done.download_url);
    const rows: Record<string, string>[] = parse(file.body.toString('utf8'), { columns: true });
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((r) => r.id)).size).toBe(N);
    expect(readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);
    const { rows: attempts } = await c.query('SELECT attempts FROM exports WHERE id = $1', [res.body.id]);
    await c.end();
    expect(attempts[0].attempts).toBe(2);
  }, 120_000);

  it('finishes the running export on SIGTERM before the worker exits', async () => {
    for (const c of children) c.kill('SIGKILL');
    const w = startWorker();
    const res = await call(t.url, 'POST', '/v1/exports', { key: bulk.key, body: { format: 'ndjson', action: ['bulk.row'] } });
    expect(res.status).toBe(202);
    let body = { progress: 0, status: 'queued' };
    for (const end = Date.now() + 60_000; Date.now() < end && body.progress === 0; ) {
      body = (await call(t.url, 'GET', `/v1/exports/${res.body.id}`, { key: bulk.key })).body;
      if (body.progress === 0) await new Promise((r) => setTimeout(r, 25));
    }
    expect(body.status).toBe('running');
    const exited = new Promise<string>((r) => w.once('exit', (code, signal) => r(`${code ?? ''}${signal ?? ''}`)));
    w.kill('SIGTERM');
    // Nest closes the app, then re-raises the signal: a clean exit, not a crash.
    expect(['0', 'SIGTERM']).toContain(await exited);
    // Nothing else runs exports now: the worker finished this one on its way out.
    const after = await call(t.url, 'GET', `/v1/exports/${res.body.id}`, { key: bulk.key });
    expect(after.body).toMatchObject({ status: 'completed', row_count: N });
  }, 120_000);

  async function waitUntil<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await get();
      if (ok(v)) return v;
      if (Date.now() > end) throw new Error(`${what}: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('killed twice, ends the export failed with the reason and leaves no partial file (never running forever)', async () => {
    for (const c of children) c.kill('SIGKILL');
    const c = await ownerClient();
    const attemptsOf = async (id: string) => (await c.query('SELECT attempts FROM exports WHERE id = $1', [id])).rows[0].attempts as number;
    const res = await call(t.url, 'POST', '/v1/exports', { key: bulk.key, body: { format: 'ndjson', action: ['bulk.row'] } });
    const get = async () => (await call(t.url, 'GET', `/v1/exports/${res.body.id}`, { key: bulk.key })).body;
    for (const attempt of [1, 2]) {
      const w = startWorker();
      await waitUntil(`attempt ${attempt} under way`, async () => ({ ...(await get()), attempts: await attemptsOf(res.body.id) }), (b) => b.attempts === attempt && b.progress > 0);
      w.kill('SIGKILL');
      await new Promise((r) => w.once('exit', r));
    }
    startWorker();
    const failed = await waitUntil('export failed', get, (b) => b.status === 'failed');
    expect(failed.error).toMatch(/stalled/i);
    expect(failed.download_url).toBeNull();
    const dir = join(exportDir, bulk.accountId);
    expect(readdirSync(dir).filter((f) => f.startsWith(res.body.id))).toEqual([]);
    await c.end();
  }, 120_000);

  it('the sweep ends an export whose job failed for good, and re-enqueues one whose job is gone', async () => {
    for (const ch of children) ch.kill('SIGKILL');
    // No export worker runs while the two exports are set up.
    const lost = await call(t.url, 'POST', '/v1/exports', { key: acme.key, body: { format: 'csv', action: ['formula.test'] } });
    const doomed = await call(t.url, 'POST', '/v1/exports', { key: acme.key, body: { format: 'csv', action: ['formula.test'] } });
    const connection = redisConnection(t.config.REDIS_URL);
    const q = new Queue<RunExportPayload>(QUEUES.exports, { connection, prefix: env.QUEUE_PREFIX });
    await (await q.getJob(exportJobId(lost.body.id)))?.remove(); // Redis lost it
    await (await q.getJob(exportJobId(doomed.body.id)))?.remove();
    await q.add(JOBS.runExport, { exportId: doomed.body.id, accountId: acme.accountId }, { jobId: exportJobId(doomed.body.id), attempts: 1 });
    const failing = new Worker(QUEUES.exports, () => Promise.reject(new Error('disk full')), { connection, prefix: env.QUEUE_PREFIX });
    await waitUntil('job failed', async () => (await q.getJob(exportJobId(doomed.body.id)))?.getState(), (s) => s === 'failed');
    await failing.close();
    const c = await ownerClient();
    await c.query(`UPDATE exports SET created_at = now() - interval '1 hour', status = 'running' WHERE id = ANY($1::uuid[])`, [[lost.body.id, doomed.body.id]]);
    await c.end();
    const sweeper = await NestFactory.createApplicationContext(WorkerModule.forRoot(loadConfig({ ...process.env, ...env })), { logger: false });
    try {
      const swept = await sweeper.get(MaintenanceProcessor).sweepExports(new Date());
      expect(swept).toMatchObject({ requeued: 1, failed: 1 });
      expect((await call(t.url, 'GET', `/v1/exports/${doomed.body.id}`, { key: acme.key })).body).toMatchObject({ status: 'failed', error: expect.stringMatching(/disk full/) });
      await waitFor(acme, lost.body.id);
    } finally {
      await sweeper.close();
      await q.close();
    }
  }, 120_000);
});
