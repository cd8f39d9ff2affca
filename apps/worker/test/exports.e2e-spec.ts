import './exports-env';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@audit-trail/config';
import { bullConnection, exportJobId, JOBS, QUEUES, queuePrefix, type RunExportPayload } from '@audit-trail/queues';
import { type ApiUnderTest, call, createTenant, download, ownerClient, spawnApi, spawnWorker, type Tenant, waitForExport } from '@audit-trail/testing';
import { Queue, Worker } from 'bullmq';
import { parse } from 'csv-parse/sync';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaintenanceProcessor } from '../src/maintenance.processor';
import { WorkerModule } from '../src/worker.module';

// The worker under test runs as child processes the tests kill; the API (a child process too) is how tenants ask for exports.
const exportDir = mkdtempSync(join(tmpdir(), 'audit-exports-'));
const env = { QUEUE_PREFIX: `test-expkill-${randomUUID().slice(0, 8)}`, EXPORT_DIR: exportDir, EXPORT_LOCK_MS: '2000' };
let t: ApiUnderTest;
let acme: Tenant;

beforeAll(async () => {
  t = await spawnApi(env);
  acme = await createTenant(t, 'premium', 'Acme');
});
afterAll(async () => {
  await t?.close();
  rmSync(exportDir, { recursive: true, force: true });
});

const waitFor = (tenant: Tenant, id: string, status?: string, timeoutMs?: number) => waitForExport(t, tenant, id, status, timeoutMs);

describe('a worker killed mid-export', () => {
  let bulk: Tenant;
  const children: ChildProcess[] = [];
  const N = 200_000;
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  function startWorker(): ChildProcess {
    // A graceful stop here means finishing a 200,000-row export: far past the tests' default WORKER_SHUTDOWN_MS.
    const child = spawnWorker({ ...env, EXPORT_FETCH_ROWS: '200', EXPORT_PROGRESS_MS: '50', WORKER_SHUTDOWN_MS: '110000' });
    children.push(child);
    return child;
  }

  it('leaves no visible half file, and the retry writes every row exactly once', async () => {
    bulk = await createTenant(t, 'premium', 'Bulk');
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
    const connection = bullConnection(t.config.REDIS_URL);
    const prefix = queuePrefix(env.QUEUE_PREFIX, QUEUES.exports);
    const q = new Queue<RunExportPayload>(QUEUES.exports, { connection, prefix });
    await (await q.getJob(exportJobId(lost.body.id)))?.remove(); // Redis lost it
    await (await q.getJob(exportJobId(doomed.body.id)))?.remove();
    await q.add(JOBS.runExport, { exportId: doomed.body.id, accountId: acme.accountId }, { jobId: exportJobId(doomed.body.id), attempts: 1 });
    const failing = new Worker(QUEUES.exports, () => Promise.reject(new Error('disk full')), { connection, prefix });
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
