import { signatureHeader } from '@audit-trail/audit-core';
import { AuditTrail, AuthenticationError, FlushError, NotFoundError, PartialBatchError, PermissionError, ValidationError, verifyWebhook, ViewerClient } from '../src';
import { type ApiUnderTest, call, createTenant, spawnApi, startWorker, stopChild, type Tenant } from '@audit-trail/testing';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The SDK against a real API (the built one, as a child process) and a real worker.
const ROOT = join(__dirname, '../../..');
const env = { QUEUE_PREFIX: `test-sdk-${randomUUID().slice(0, 8)}`, EXPORT_DIR: mkdtempSync(join(tmpdir(), 'sdk-exports-')) };
let api: ApiUnderTest;
let worker: ChildProcess;
let acme: Tenant;

beforeAll(async () => {
  api = await spawnApi(env);
  worker = await startWorker(env);
  acme = await createTenant(api, 'premium', 'SDK Co');
});
afterAll(async () => {
  await api?.close();
  if (worker) await stopChild(worker);
  rmSync(env.EXPORT_DIR, { recursive: true, force: true });
});

/** A fetch that counts requests, and can lose the answer of chosen ones after the API has handled them. */
function countingFetch(loseAnswerOf: (n: number) => boolean = () => false) {
  const seen: { method: string; url: string; body: string | null }[] = [];
  const f: typeof fetch = async (input, init) => {
    seen.push({ method: init?.method ?? "GET", url: input instanceof Request ? input.url : input.toString(), body: typeof init?.body === 'string' ? init.body : null });
    const res = await fetch(input, init);
    if (loseAnswerOf(seen.length)) {
      await res.arrayBuffer();
      throw new TypeError('fetch failed (the connection dropped after the request was sent)');
    }
    return res;
  };
  return { fetch: f, seen };
}

const client = (x: Tenant, extra: Partial<ConstructorParameters<typeof AuditTrail>[0]> = {}) => new AuditTrail({ apiKey: x.key, baseUrl: api.url, retry: { baseDelayMs: 20, maxDelayMs: 200 }, ...extra });
const ev = (action: string, extra: Record<string, unknown> = {}) => ({ action, actor: { type: 'user' as const, id: 'u_1', email: 'alice@acme.test' }, ...extra });
const prefix = () => `sdk${randomUUID().slice(0, 6)}`;

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('@audit-trail/sdk', () => {
  it('sends one event, and a retry after a lost answer never stores it twice', async () => {
    const p = prefix();
    const counted = countingFetch((n) => n === 1);
    const at = client(acme, { fetch: counted.fetch });
    const { ids } = await at.events.send(ev(`${p}.sent`));
    expect(ids).toHaveLength(1);
    expect(counted.seen).toHaveLength(2); // the first answer was lost; the retry carried the same key
    expect(JSON.parse(counted.seen[0].body as string).idempotency_key).toBe(JSON.parse(counted.seen[1].body as string).idempotency_key);
    const stored = await all(client(acme).events.list({ action: `${p}.sent` }));
    expect(stored.map((e) => e.id)).toEqual(ids);
    expect((await at.events.get(ids[0])).action).toBe(`${p}.sent`);
  });

  it('splits a large batch by count and by size, in order, and the API takes every request', async () => {
    const p = prefix();
    const counted = countingFetch();
    const at = client(acme, { fetch: counted.fetch });
    const many = Array.from({ length: 2500 }, (_, i) => ev(`${p}.bulk`, { metadata: { i } }));
    const res = await at.events.sendBatch(many);
    expect(res.ids).toHaveLength(2500);
    expect(new Set(res.ids).size).toBe(2500);
    expect(counted.seen.map((s) => JSON.parse(s.body as string).events.length)).toEqual([1000, 1000, 500]);
    // 60 events of ~30 KB: 1.8 MB, so at least two requests, each under the API's 1 MiB.
    const big = Array.from({ length: 60 }, (_, i) => ev(`${p}.big`, { metadata: { i, blob: 'x'.repeat(30_000) } }));
    const before = counted.seen.length;
    expect((await at.events.sendBatch(big)).ids).toHaveLength(60);
    const sizes = counted.seen.slice(before).map((s) => Buffer.byteLength(s.body as string));
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(1024 * 1024);
    const stored = await all(at.events.list({ action: `${p}.bulk` }, { pageSize: 500 }));
    expect(stored).toHaveLength(2500);
    // Newest first: the last event of the batch has the greatest i among equal times, and every i is there once.
    expect(new Set(stored.map((e) => (e.metadata as { i: number }).i)).size).toBe(2500);
  });

  it('names what was stored when a batch fails part way', async () => {
    const p = prefix();
    const at = client(acme);
    const events = [...Array.from({ length: 1000 }, () => ev(`${p}.ok`)), ev('NOT AN ACTION')];
    const err = await at.events.sendBatch(events).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialBatchError);
    expect((err as PartialBatchError).sentIds).toHaveLength(1000);
    expect((err as PartialBatchError).unsent).toBe(1);
    expect((err as PartialBatchError).cause).toBeInstanceOf(ValidationError);
    expect(((err as PartialBatchError).cause as ValidationError).errors[0].path).toBe('events[0].action');
  });

  it('batches in the background with backpressure, and flush() stores everything or says what it could not', async () => {
    const p = prefix();
    const counted = countingFetch();
    const errors: unknown[] = [];
    const at = client(acme, { fetch: counted.fetch, batching: { maxQueue: 50, maxEvents: 40, flushIntervalMs: 20, concurrency: 1 }, onError: (e) => errors.push(e) });
    let resolved = 0;
    const pending = Array.from({ length: 300 }, (_, i) => at.events.enqueue(ev(`${p}.queued`, { metadata: { i } })).then(() => resolved++));
    // The queue holds 50: the rest wait for room, so not every enqueue has resolved yet.
    await Promise.resolve();
    expect(resolved).toBeLessThanOrEqual(100);
    await Promise.all(pending);
    expect(await at.flush()).toEqual({ sent: 300 });
    expect(counted.seen.every((s) => JSON.parse(s.body as string).events.length <= 40)).toBe(true);
    expect(await all(at.events.list({ action: `${p}.queued` }))).toHaveLength(300);
    // Occurred-at is when the event was queued.
    const one = (await all(at.events.list({ action: `${p}.queued`, limit: 1 })))[0];
    expect(Date.now() - Date.parse(one.occurred_at)).toBeLessThan(60_000);
    // An event the API refuses comes back from flush(), with the error, not dropped silently.
    await at.events.enqueue(ev('Bad Action'));
    const err = await at.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlushError);
    expect((err as FlushError).failures[0].events).toHaveLength(1);
    expect((err as FlushError).failures[0].error).toBeInstanceOf(ValidationError);
    expect(errors).toHaveLength(1);
    expect(await at.flush()).toEqual({ sent: 0 });
  });

  it('follows cursors in list() and commit order in feed(), resuming from a stored position', async () => {
    const p = prefix();
    const x = await createTenant(api, 'premium', 'Feed SDK');
    const at = client(x);
    const { ids } = await at.events.sendBatch(Array.from({ length: 7 }, (_, i) => ev(`${p}.listed`, { metadata: { i } })));
    const listed = await all(at.events.list({ action: `${p}.listed` }, { pageSize: 3 }));
    expect(listed.map((e) => e.id).sort()).toEqual([...ids].sort());

    // The feed from the start holds the seven in commit order (another suite's open transaction may hold it back for a while).
    const mine = (e: { action: string }) => e.action === `${p}.listed`;
    const seen: string[] = [];
    const controller = new AbortController();
    const feed = at.events.feed({ follow: true, pollMs: 100, limit: 2, signal: controller.signal });
    const deadline = setTimeout(() => controller.abort(new Error('the feed did not deliver within 60 s')), 60_000);
    for await (const e of feed) {
      if (mine(e)) seen.push(e.id);
      if (seen.length === 7) break;
    }
    clearTimeout(deadline);
    expect(seen).toEqual(ids);
    // Resume from the stored position: the next batch, and nothing before the page the loop left (pages of 2 hold at most one earlier event of ours).
    const resumeAt = feed.position;
    const more = (await at.events.sendBatch([ev(`${p}.listed`), ev(`${p}.listed`)])).ids;
    const again: string[] = [];
    const c2 = new AbortController();
    const d2 = setTimeout(() => c2.abort(new Error('the feed did not deliver within 60 s')), 60_000);
    for await (const e of at.events.feed({ after: resumeAt ?? undefined, follow: true, pollMs: 100, signal: c2.signal })) {
      if (mine(e)) again.push(e.id);
      if (more.every((id) => again.includes(id))) break;
    }
    clearTimeout(d2);
    expect(again.filter((id) => ids.slice(0, 5).includes(id))).toEqual([]);
    expect(again.slice(-2)).toEqual(more);
  });

  it('throws typed errors carrying the problem+json', async () => {
    const at = client(acme);
    const invalid = await at.events.send(ev('Not.Valid')).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).status).toBe(422);
    expect((invalid as ValidationError).errors[0]).toMatchObject({ path: 'action' });
    expect((invalid as ValidationError).requestId).toMatch(/^[0-9a-f-]{36}$/);
    const revoked = new AuditTrail({ apiKey: 'atk_not_a_key', baseUrl: api.url });
    expect(await revoked.events.send(ev('doc.update')).catch((e: unknown) => e)).toBeInstanceOf(AuthenticationError);
    const readOnly = (await call(api.url, 'POST', '/v1/api-keys', { session: acme.owner, body: { name: 'reader', scopes: ['events:read'] } })).body.key;
    expect(await client({ ...acme, key: readOnly }).events.send(ev('doc.update')).catch((e: unknown) => e)).toBeInstanceOf(PermissionError);
    expect(await at.events.get(randomUUID()).catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
  });

  it('retries 429 and 503, honouring Retry-After, then succeeds once', async () => {
    // A loopback proxy in front of the API answers 429 (Retry-After: 1), then 503, then passes requests through.
    let n = 0;
    const times: number[] = [];
    const proxy: Server = createServer((req, res) => {
      n++;
      times.push(Date.now());
      if (n === 1) return void res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/problem+json' }).end('{"type":"x","title":"Too many","status":429,"detail":"slow down"}');
      if (n === 2) return void res.writeHead(503, { 'content-type': 'application/problem+json' }).end('{"type":"x","title":"Unavailable","status":503,"detail":"down"}');
      const target = new URL(api.url);
      const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const at = new AuditTrail({ apiKey: acme.key, baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, retry: { baseDelayMs: 10, maxDelayMs: 50 } });
      const p = prefix();
      const { ids } = await at.events.send(ev(`${p}.retried`));
      expect(n).toBe(3);
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(1000); // Retry-After: 1
      expect(await all(client(acme).events.list({ action: `${p}.retried` }))).toHaveLength(1);
      expect(ids).toHaveLength(1);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  it('creates an export and waits for it, then the file downloads', async () => {
    const p = prefix();
    const at = client(acme);
    await at.events.sendBatch(Array.from({ length: 25 }, () => ev(`${p}.exported`)));
    const x = await at.exports.create({ format: 'ndjson', action: `${p}.exported` });
    expect(['queued', 'running', 'completed']).toContain(x.status);
    const done = await at.exports.waitFor(x.id, { intervalMs: 200, timeoutMs: 60_000 });
    expect(done).toMatchObject({ status: 'completed', row_count: 25 });
    const file = await fetch(done.download_url as string);
    expect((await file.text()).trim().split('\n')).toHaveLength(25);
  });

  it('mints viewer tokens, and the viewer client reads that slice only', async () => {
    const p = prefix();
    const at = client(acme);
    await at.events.sendBatch([ev(`${p}.seen`, { target: { type: 'project', id: `${p}_1` } }), ev(`${p}.seen`, { target: { type: 'project', id: `${p}_2` } })]);
    const { token } = await at.viewerTokens.create({ viewer: { id: 'cust_1' }, filter: { target_id: `${p}_1` } });
    const viewer = new ViewerClient({ token, baseUrl: api.url });
    const page = await viewer.page();
    expect(page.entries.map((e) => e.target_id)).toEqual([`${p}_1`]);
    expect((await viewer.get(page.entries[0].id)).id).toBe(page.entries[0].id);
  });

  it('verifies webhook signatures as the forwarder makes them, including during a secret rotation', async () => {
    const body = JSON.stringify({ events: [{ id: '1', action: 'doc.update' }] });
    const now = Math.floor(Date.now() / 1000);
    const header = signatureHeader(['old-secret', 'new-secret'], now, body);
    const at = client(acme);
    expect(await at.webhooks.verify(body, header, 'new-secret')).toBe(true);
    expect(await verifyWebhook(new TextEncoder().encode(body), header, 'old-secret')).toBe(true);
    expect(await verifyWebhook(body.replace('doc', 'dog'), header, 'new-secret')).toBe(false);
    expect(await verifyWebhook(body, header, 'another-secret')).toBe(false);
    expect(await verifyWebhook(body, signatureHeader(['new-secret'], now - 600, body), 'new-secret')).toBe(false);
    expect(await verifyWebhook(body, null, 'new-secret')).toBe(false);
  });

  it('matches the API: its types are the ones the served /openapi.json generates', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/sdk-types.mjs'), '--check', '--url', api.url], { encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('installs alone from its tarball, and the example runs against the API', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-install-'));
    try {
      const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: join(ROOT, 'libs/sdk'), encoding: 'utf8' });
      expect(pack.status).toBe(0);
      const tarball = join(dir, pack.stdout.trim().split('\n').pop() as string);
      const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: dir, encoding: 'utf8' });
      expect({ status: install.status, stderr: install.stderr }).toMatchObject({ status: 0 });
      expect(readdirSync(join(dir, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['@audit-trail']);
      expect(readdirSync(join(dir, 'node_modules/@audit-trail'))).toEqual(['sdk']);
      const example = join(dir, 'node_modules/@audit-trail/sdk/examples/quickstart.mjs');
      const run = spawnSync(process.execPath, [example], { cwd: dir, encoding: 'utf8', env: { ...process.env, AUDIT_TRAIL_URL: api.url, AUDIT_TRAIL_KEY: acme.key, EXAMPLE_EVENTS: '1500' }, timeout: 120_000 });
      expect({ status: run.status, stderr: run.stderr }).toMatchObject({ status: 0, stderr: '' });
      expect(run.stdout).toContain('sent 1 event');
      expect(run.stdout).toMatch(/queued and flushed 1500 events/);
      expect(run.stdout).toContain('export completed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
