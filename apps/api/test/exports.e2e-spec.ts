import { LocalExportStorage, sweepExports } from '@audit-trail/engines';
import { bullConnection, QUEUES, queuePrefix, type RunExportPayload } from '@audit-trail/queues';
import { Queue } from 'bullmq';
import { parse } from 'csv-parse/sync';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Database } from '@audit-trail/data';
import { issueDownloadToken } from '@audit-trail/engines';
import { call, createTenant, download, event, ownerClient, setPlan, startApp, startWorker, stopChild, type Tenant, type TestApp, waitForExport } from './harness';

// The API in this process; the real worker as a child process takes the export jobs.
const exportDir = mkdtempSync(join(tmpdir(), 'audit-exports-'));
const env = { QUEUE_PREFIX: `test-exp-${randomUUID().slice(0, 8)}`, EXPORT_DIR: exportDir, EXPORT_LOCK_MS: '2000' };
let t: TestApp;
let worker: ChildProcess;
let acme: Tenant;
let globex: Tenant;

beforeAll(async () => {
  t = await startApp(env);
  worker = await startWorker(env);
  acme = await createTenant(t, 'premium', 'Acme');
  globex = await createTenant(t, 'premium', 'Globex');
});
afterAll(async () => {
  if (worker) await stopChild(worker);
  await t?.close();
  rmSync(exportDir, { recursive: true, force: true });
});

const waitFor = (tenant: Tenant, id: string, status?: string, timeoutMs?: number) => waitForExport(t, tenant, id, status, timeoutMs);

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
    const db = new Database(t.config.APP_DATABASE_URL, 2);
    const queue = new Queue<RunExportPayload>(QUEUES.exports, { connection: bullConnection(t.config.REDIS_URL), prefix: queuePrefix(env.QUEUE_PREFIX, QUEUES.exports) });
    const swept = await sweepExports(db, new LocalExportStorage(exportDir), queue, new Date()).finally(() => Promise.all([db.close(), queue.close()]));
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(exportDir, rows[0].file_key))).toBe(false);
    const after = await call(t.url, 'GET', `/v1/exports/${done.id}`, { key: acme.key });
    expect(after.body).toMatchObject({ status: 'expired', download_url: null });
  });
});
