import { type CheckpointBody, leafHash, rootFromInclusion, verifyConsistency } from '@audit-trail/audit-core';
import { Database } from '@audit-trail/data';
import { checkPairs, loadSigningKey, sealAllLogs, type SigningKey, verifyCheckpointSignature, verifyLog } from '@audit-trail/engines';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { call, createTenant, ownerClient, setPlan, startApp, startWorker, stopChild, type Tenant, type TestApp } from './harness';

// The API in this process; the real worker as a child process, for the export jobs. The tests seal on
// demand with the sealing engine and the key the worker signs with (the worker's own schedule is off).
const env = { QUEUE_PREFIX: `test-int-${randomUUID().slice(0, 8)}`, INTEGRITY_CHECKPOINT_MS: '0', EXPORT_DIR: mkdtempSync(join(tmpdir(), 'int-exports-')) };
let t: TestApp;
let worker: ChildProcess;
let db: Client;
let appDb: Database;
let key: SigningKey;

beforeAll(async () => {
  t = await startApp(env);
  worker = await startWorker(env);
  db = await ownerClient();
  appDb = new Database(t.config.APP_DATABASE_URL, 4);
  key = loadSigningKey(t.config.SIGNING_KEY, t.config.SIGNING_KEY_FILE);
});
afterAll(async () => {
  await db?.end();
  await appDb?.close();
  if (worker) await stopChild(worker);
  await t?.close();
  rmSync(env.EXPORT_DIR, { recursive: true, force: true });
});

// Most tests here wait for the sealer (and some for an export job) more than once; another suite's bulk
// insert can hold the sealer back for seconds on a loaded 2-core machine. Each wait has its own deadline.
jest.setTimeout(120_000);

/**
 * Seal until every committed event of the tenant is sealed (or refused as an
 * anomaly). The sealer only reads transactions older than every running one
 * in the cluster, so another suite's bulk insert can hold it back a moment.
 */
async function sealed(x: Tenant, stillPending = 0): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    await sealAllLogs(appDb, key, { checkpointEveryMs: 0, quietCheckpointMs: 3_600_000 });
    const { rows } = await db.query<{ pending: number }>(
      `SELECT ((SELECT count(*) FROM audit_events WHERE account_id = $1) - (SELECT count(*) FROM integrity_leaves l WHERE l.account_id = $1 AND EXISTS (SELECT 1 FROM audit_events e WHERE e.account_id = $1 AND e.id = l.event_id))
               - (SELECT count(*) FROM integrity_anomalies WHERE account_id = $1))::int AS pending`,
      [x.accountId],
    );
    if (rows[0].pending <= stillPending) return;
    if (Date.now() > end) throw new Error(`${rows[0].pending} events of ${x.accountId} still unsealed`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ingest(x: Tenant, n: number, extra: Record<string, unknown> = {}): Promise<string[]> {
  const base = Date.now() - 60_000;
  const events = Array.from({ length: n }, (_, i) => ({ action: 'document.update', occurred_at: new Date(base + i * 10).toISOString(), actor: { type: 'user', id: `u_${i}` }, metadata: { i }, ...extra }));
  const res = await call(t.url, 'POST', '/v1/events', { key: x.key, body: { events } });
  expect(res.status).toBe(202);
  return res.body.ids;
}

const verify = async (x: Tenant, body: Record<string, unknown> = {}) => {
  const res = await call(t.url, 'POST', '/v1/integrity/verify', { key: x.key, body });
  expect(res.status).toBe(200);
  return res.body as { ok: boolean; checked: number; pending: number; sealed: number; first_bad: { event_id: string | null; reason: string } | null };
};

/** As the database superuser, with triggers off: what an attacker with full access could do. */
async function asSuperuser(sql: string, params: unknown[] = []) {
  await db.query('SET session_replication_role = replica');
  try {
    await db.query(sql, params);
  } finally {
    await db.query('SET session_replication_role = origin');
  }
}

/** A fresh Premium tenant with sealed, verified events. */
async function sealedTenant(n = 12) {
  const x = await createTenant(t, 'premium', 'Sealed Co');
  const ids = await ingest(x, n);
  await sealed(x);
  expect(await verify(x)).toMatchObject({ ok: true, first_bad: null });
  return { x, ids };
}

describe('sealing, checkpoints and proofs', () => {
  let x: Tenant;
  let ids: string[];
  beforeAll(async () => {
    ({ x, ids } = await sealedTenant(20));
  });

  it('verifies an untouched log and counts what it checked', async () => {
    const r = await verify(x);
    expect(r.ok).toBe(true);
    expect(r.checked).toBeGreaterThanOrEqual(20);
    expect(r.sealed).toBe(r.checked);
  });

  it('counts events not sealed yet as pending, never as checked, and checks them once sealed', async () => {
    const y = (await sealedTenant(4)).x;
    const before = await verify(y);
    await ingest(y, 3);
    const waiting = await verify(y);
    // Pending: the 3 events, the ones already pending before, and `before`'s own integrity.verified entry (verifications are audited).
    expect(waiting).toMatchObject({ ok: true, checked: before.checked, pending: 3 + before.pending + 1 });
    await sealed(y);
    // Sealed now: everything that was pending, and `waiting`'s own entry.
    expect(await verify(y)).toMatchObject({ ok: true, checked: before.checked + waiting.pending + 1, pending: 0 });
  });

  it('answers every one of several verifications asked at once (two run, the rest wait their turn)', async () => {
    const all = await Promise.all(Array.from({ length: 5 }, () => verify(x)));
    for (const r of all) expect(r).toMatchObject({ ok: true, checked: all[0].checked });
  });

  it('signs checkpoints with the published key, and they fail with another key', async () => {
    const keys = (await call(t.url, 'GET', '/v1/integrity/public-key', { key: x.key })).body.data;
    const digests = (await call(t.url, 'GET', '/v1/integrity/digests', { key: x.key })).body.data;
    expect(digests.length).toBeGreaterThan(0);
    const cp = digests[0] as CheckpointBody & { signature: string; hash: string };
    const key = keys.find((k: { key_id: string }) => k.key_id === cp.key_id);
    expect(key).toMatchObject({ algorithm: 'Ed25519', valid_to: null });
    const { signature, hash: _h, id: _i, scope: _s, ...body } = cp as unknown as Record<string, unknown>;
    expect(verifyCheckpointSignature(key.public_key, body as unknown as CheckpointBody, signature as string)).toBe(true);
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(verifyCheckpointSignature(other, body as unknown as CheckpointBody, signature as string)).toBe(false);
    expect(verifyCheckpointSignature(key.public_key, { ...(body as unknown as CheckpointBody), tree_size: cp.tree_size + 1 }, signature as string)).toBe(false);
  });

  it('gives an inclusion proof that leads from the event to the signed root', async () => {
    const event = (await call(t.url, 'GET', `/v1/events/${ids[7]}`, { key: x.key })).body;
    const proof = (await call(t.url, 'GET', `/v1/events/${ids[7]}/proof`, { key: x.key })).body;
    expect(proof.leaf_hash).toBe(leafHash(event).toString('hex'));
    const root = rootFromInclusion(leafHash(event), proof.leaf_index, proof.tree_size, proof.audit_path.map((h: string) => Buffer.from(h, 'hex')));
    expect(root?.toString('hex')).toBe(proof.checkpoint.root_hash);
  });

  it('proves consistency between two checkpoints', async () => {
    // Earlier reads (verifications, proofs, opened entries) are audited entries of this log: seal them first.
    await sealed(x);
    const before = (await call(t.url, 'GET', '/v1/integrity/digests', { key: x.key })).body.data[0];
    await ingest(x, 5);
    await sealed(x);
    const after = (await call(t.url, 'GET', '/v1/integrity/digests', { key: x.key })).body.data[0];
    expect(after.tree_size).toBe(before.tree_size + 5);
    const res = await call(t.url, 'GET', `/v1/integrity/consistency?first=${before.id}&second=${after.id}`, { key: x.key });
    const proof = res.body.proof.map((h: string) => Buffer.from(h, 'hex'));
    expect(verifyConsistency(before.tree_size, after.tree_size, Buffer.from(before.root_hash, 'hex'), Buffer.from(after.root_hash, 'hex'), proof)).toBe(true);
    expect(after.previous_hash).toBe(before.hash);
  });

  it('says when an event is not sealed yet (409), and seals it in the next round', async () => {
    const [late] = await ingest(x, 1);
    expect((await call(t.url, 'GET', `/v1/events/${late}/proof`, { key: x.key })).status).toBe(409);
    await sealed(x);
    expect((await call(t.url, 'GET', `/v1/events/${late}/proof`, { key: x.key })).status).toBe(200);
  });

  it('seals each workspace log on its own', async () => {
    const ws = (await call(t.url, 'POST', '/v1/workspaces', { key: x.key, body: { name: 'Staging' } })).body.id;
    await ingest(x, 3, { workspace_id: ws });
    await sealed(x);
    const r = await verify(x, { scope: 'workspace', workspace_id: ws });
    expect(r).toMatchObject({ ok: true, checked: 3, sealed: 3 });
    const d = (await call(t.url, 'GET', `/v1/integrity/digests?scope=workspace&workspace_id=${ws}`, { key: x.key })).body.data;
    expect(d[0]).toMatchObject({ tree_size: 3, workspace_id: ws, log_id: ws });
  });
});

describe('tampering as the database superuser is detected and named', () => {
  it('a changed metadata field', async () => {
    const { x, ids } = await sealedTenant();
    await asSuperuser(`UPDATE audit_events SET metadata = '{"i": 999}' WHERE account_id = $1 AND id = $2`, [x.accountId, ids[3]]);
    const r = await verify(x);
    expect(r.ok).toBe(false);
    expect(r.first_bad).toMatchObject({ event_id: ids[3], reason: expect.stringMatching(/changed/) });
  });

  it('a source changed to platform, or a key id removed: provenance is sealed too', async () => {
    const { x, ids } = await sealedTenant(5);
    await asSuperuser(`UPDATE audit_events SET source = 'platform' WHERE account_id = $1 AND id = $2`, [x.accountId, ids[1]]);
    await asSuperuser(`UPDATE audit_events SET api_key_id = NULL WHERE account_id = $1 AND id = $2`, [x.accountId, ids[3]]);
    const r = await verify(x);
    expect(r.ok).toBe(false);
    expect(r.first_bad).toMatchObject({ event_id: ids[1], reason: expect.stringMatching(/changed/) });
    expect((r as unknown as { problems: number }).problems).toBe(2);
    const proof = await call(t.url, 'GET', `/v1/events/${ids[0]}/proof`, { key: x.key });
    expect(proof.body.leaf_version).toBe(2);
  });

  it('an event changed after its inclusion proof was handed out', async () => {
    const { x, ids } = await sealedTenant(6);
    const proof = await call(t.url, 'GET', `/v1/events/${ids[4]}/proof`, { key: x.key });
    expect(proof.status).toBe(200);
    await asSuperuser(`UPDATE audit_events SET actor_id = 'someone_else' WHERE account_id = $1 AND id = $2`, [x.accountId, ids[4]]);
    const r = await verify(x);
    expect(r).toMatchObject({ ok: false, first_bad: { event_id: ids[4], reason: expect.stringMatching(/changed/) } });
  });

  it('finds the same on the request\'s thread alone as with the worker thread', async () => {
    const { x, ids } = await sealedTenant();
    await asSuperuser(`UPDATE audit_events SET metadata = '{"i": 998}' WHERE account_id = $1 AND id = $2`, [x.accountId, ids[2]]);
    await asSuperuser(`DELETE FROM audit_events WHERE account_id = $1 AND id = $2`, [x.accountId, ids[7]]);
    const appDb = new Database(t.config.APP_DATABASE_URL, 2);
    try {
      const c = await appDb.connect();
      const keys = new Map((await c.query<{ key_id: string; public_key: string }>('SELECT key_id, public_key FROM integrity_keys')).rows.map((k) => [k.key_id, k.public_key]));
      c.release();
      const ref = { accountId: x.accountId, workspaceId: null };
      const threaded = await verifyLog(appDb, keys, ref);
      const single = await verifyLog(appDb, keys, ref, {}, { workerThread: false });
      expect(single).toEqual(threaded);
      expect(single).toMatchObject({ ok: false, problems: 2 });
      expect(single.first_bad?.event_id).toBe(ids[2]);
    } finally {
      await appDb.close();
    }
  });

  it('reads awkward values straight from the wire as the sealer hashed them, and finds a change to any of them', async () => {
    const x = await createTenant(t, 'premium', 'Awkward Co');
    const awkward = [
      // Keys jsonb orders by length ("c" before "bb") but RFC 8785 by UTF-16 units; keys outside ASCII.
      { metadata: { c: 1, bb: 2, é: 'x', '😀': true, 'a"b': null }, actor: { type: 'user', id: 'u"quote', name: 'Zoë \\ back\nslash\t😀' } },
      // Numbers numeric prints differently from JavaScript, and nesting.
      { metadata: { n: [1.5, 1e21, 0.000001, 2 ** 64, -0, 100], deep: { z: [{ y: 'é' }], a: {} } } },
      { metadata: { plain: 'text', size: 42 }, changes: { before: { title: 'a\u0001b' }, after: { title: '\u2028' } }, target: { type: 'doc', id: 'd\\1', name: 'é' } },
      { metadata: {}, context: { ip: '2001:db8::1', user_agent: 'curl/8 "x"' } },
    ];
    const ids: string[] = [];
    for (const e of awkward) ids.push(...(await ingest(x, 1, e)));
    await sealed(x);
    const args = { accountId: x.accountId, workspaceId: null, logId: x.accountId, from: new Date(0).toISOString(), to: '9999-12-31T23:59:59.999Z', cursor: null };
    const pairs = await appDb.tenant(x.accountId, (c) => checkPairs(c, args), { readOnly: true });
    // Every row's bytes (these four and the account's own records) matched its leaf the first time: no second look, nothing bad.
    expect(pairs).toMatchObject({ bad: [], missing: [], rechecked: 0 });
    expect(pairs.checked).toBeGreaterThanOrEqual(awkward.length);
    await asSuperuser(`UPDATE audit_events SET metadata = jsonb_set(metadata, '{bb}', '3') WHERE account_id = $1 AND id = $2`, [x.accountId, ids[0]]);
    await asSuperuser(`UPDATE audit_events SET target_id = 'd\\2' WHERE account_id = $1 AND id = $2`, [x.accountId, ids[2]]);
    const after = await appDb.tenant(x.accountId, (c) => checkPairs(c, args), { readOnly: true });
    expect(after.bad.map((b) => b.event_id).sort()).toEqual([ids[0], ids[2]].sort());
    expect(after.rechecked).toBe(2);
    expect(await verify(x)).toMatchObject({ ok: false, checked: pairs.checked });
  });

  it('a deleted row', async () => {
    const { x, ids } = await sealedTenant();
    await asSuperuser(`DELETE FROM audit_events WHERE account_id = $1 AND id = $2`, [x.accountId, ids[5]]);
    expect((await verify(x)).first_bad).toMatchObject({ event_id: ids[5], reason: expect.stringMatching(/deleted/) });
  });

  it('a changed occurred_at', async () => {
    const { x, ids } = await sealedTenant();
    await asSuperuser(`UPDATE audit_events SET occurred_at = occurred_at - interval '3 days' WHERE account_id = $1 AND id = $2`, [x.accountId, ids[6]]);
    const r = await verify(x);
    expect(r.ok).toBe(false);
    expect(r.first_bad?.event_id).toBe(ids[6]);
  });

  it('two events reordered (their contents swapped)', async () => {
    const { x, ids } = await sealedTenant();
    await asSuperuser(
      `UPDATE audit_events e SET metadata = o.metadata, actor_id = o.actor_id FROM audit_events o
       WHERE e.account_id = $1 AND o.account_id = $1 AND ((e.id = $2 AND o.id = $3) OR (e.id = $3 AND o.id = $2))`,
      [x.accountId, ids[8], ids[9]],
    );
    const r = await verify(x);
    expect(r.ok).toBe(false);
    expect(r.first_bad?.event_id).toBe(ids[8]);
  });

  it('a forged row slipped into sealed history', async () => {
    const { x, ids } = await sealedTenant();
    const forged = '01900000-0000-7000-8000-000000000001';
    // Same transaction id and time neighbourhood as a real sealed event, as if it had always been there.
    await asSuperuser(
      `INSERT INTO audit_events (account_id, id, occurred_at, received_at, action, category, actor_type, actor_id, outcome, txid)
       SELECT account_id, $3, occurred_at + interval '1 millisecond', received_at, 'member.removed', 'members', 'user', 'u_evil', 'success', txid
       FROM audit_events WHERE account_id = $1 AND id = $2`,
      [x.accountId, ids[2], forged],
    );
    await sealed(x, 1);
    const r = await verify(x);
    expect(r.first_bad).toMatchObject({ event_id: forged, reason: expect.stringMatching(/not sealed/) });
  });

  it('a forged row written later with an old receipt time is refused by the sealer and reported', async () => {
    const { x, ids } = await sealedTenant();
    const forged = '01900000-0000-7000-8000-000000000002';
    await db.query(
      `INSERT INTO audit_events (account_id, id, occurred_at, received_at, action, category, actor_type, actor_id, outcome)
       SELECT account_id, $3, occurred_at, received_at - interval '2 hours', 'member.removed', 'members', 'user', 'u_evil', 'success'
       FROM audit_events WHERE account_id = $1 AND id = $2`,
      [x.accountId, ids[1], forged],
    );
    await db.query(`UPDATE integrity_logs SET last_round_at = now() - interval '1 minute' WHERE log_id = $1`, [x.accountId]);
    await sealed(x);
    expect((await verify(x)).first_bad).toMatchObject({ event_id: forged, reason: expect.stringMatching(/written into the past/) });
    // The tenant's own log says so, as the platform.
    const anomaly = (await call(t.url, 'GET', '/v1/events?action=integrity.anomaly', { key: x.key })).body.entries;
    expect(anomaly).toEqual([expect.objectContaining({ source: 'platform', actor_type: 'system', actor_id: 'integrity', target_id: forged, outcome: 'failure', category: 'integrity' })]);
  });

  it('a deleted checkpoint breaks the chain', async () => {
    const { x } = await sealedTenant();
    await ingest(x, 2);
    await sealed(x);
    await ingest(x, 2);
    await sealed(x);
    const digests = (await call(t.url, 'GET', '/v1/integrity/digests', { key: x.key })).body.data;
    expect(digests.length).toBeGreaterThanOrEqual(3);
    await db.query('DELETE FROM integrity_checkpoints WHERE id = $1', [digests[1].id]);
    const r = await verify(x);
    expect(r.ok).toBe(false);
    expect(r.first_bad?.reason).toMatch(/does not follow the previous checkpoint/);
  });

  it('a rewritten leaf no longer produces the signed root', async () => {
    const { x, ids } = await sealedTenant();
    await db.query(`UPDATE integrity_leaves SET leaf_hash = decode(repeat('ab', 32), 'hex') WHERE account_id = $1 AND event_id = $2`, [x.accountId, ids[4]]);
    const r = await verify(x);
    expect(r.ok).toBe(false);
  });
});

describe('plans, tenancy and retention', () => {
  it('follows the plan: 404 without the audit log, 403 plan-limit without integrity proofs', async () => {
    const x = await createTenant(t, 'free', 'Plan Co');
    const routes: [string, string][] = [
      ['GET', '/v1/integrity/public-key'],
      ['GET', '/v1/integrity/digests'],
      ['POST', '/v1/integrity/verify'],
    ];
    for (const [m, path] of routes) expect((await call(t.url, m, path, { key: x.key, body: m === 'POST' ? {} : undefined })).status).toBe(404);
    await setPlan(t, x.accountId, 'essentials');
    for (const [m, path] of routes) {
      const res = await call(t.url, m, path, { key: x.key, body: m === 'POST' ? {} : undefined });
      expect(res.status).toBe(403);
      expect(res.body.detail).toBe('Integrity proofs are not part of Essentials; they come with Premium.');
    }
    await setPlan(t, x.accountId, 'premium');
    for (const [m, path] of routes) expect((await call(t.url, m, path, { key: x.key, body: m === 'POST' ? {} : undefined })).status).toBe(200);
  });

  it("another tenant's events, checkpoints and workspaces are 404", async () => {
    const { x, ids } = await sealedTenant(3);
    const other = await createTenant(t, 'premium', 'Other Co');
    const ws = (await call(t.url, 'POST', '/v1/workspaces', { key: x.key, body: { name: 'Mine' } })).body.id;
    const cps = (await call(t.url, 'GET', '/v1/integrity/digests', { key: x.key })).body.data;
    expect((await call(t.url, 'GET', `/v1/events/${ids[0]}/proof`, { key: other.key })).status).toBe(404);
    expect((await call(t.url, 'GET', `/v1/integrity/consistency?first=${cps[0].id}&second=${cps[0].id}`, { key: other.key })).status).toBe(404);
    // A workspace of another account is answered like a made-up id (422 in a body, 400 in a query), naming workspace_id and nothing about it.
    expect((await call(t.url, 'POST', '/v1/integrity/verify', { key: other.key, body: { scope: 'workspace', workspace_id: ws } })).status).toBe(422);
    expect((await call(t.url, 'GET', `/v1/integrity/digests?scope=workspace&workspace_id=${ws}`, { key: other.key })).status).toBe(400);
  });

  it('a retention purge writes a signed checkpoint first, and what remains still verifies', async () => {
    const x = await createTenant(t, 'premium', 'Purge Co');
    const c = await ownerClient();
    const old = new Date(Date.now() - 800 * 86_400_000);
    await c.query('SELECT audit_ensure_partition($1)', [old]);
    await c.query(
      `INSERT INTO audit_events (account_id, id, occurred_at, received_at, action, category, actor_type, outcome)
       SELECT $1, gen_random_uuid(), $2::timestamptz + make_interval(secs => g), now(), 'old.thing', 'custom', 'system', 'success' FROM generate_series(1, 3) g`,
      [x.accountId, old],
    );
    await c.end();
    await ingest(x, 4);
    await sealed(x);
    expect((await verify(x)).ok).toBe(true);
    // 503 means "try again shortly" to an operator; this test does, at most twice, and says why in the log.
    // (A full CI run once answered something other than 200 here, with no detail kept; see the session note.)
    let run = await call(t.url, 'POST', '/v1/operator/retention/run', { headers: { authorization: `Bearer ${t.config.OPERATOR_TOKEN}` }, body: { account_ids: [x.accountId] } });
    for (let i = 0; i < 2 && run.status === 503; i++) {
      console.warn(`retention run answered 503, trying again: ${run.text}`);
      run = await call(t.url, 'POST', '/v1/operator/retention/run', { headers: { authorization: `Bearer ${t.config.OPERATOR_TOKEN}` }, body: { account_ids: [x.accountId] } });
    }
    expect({ status: run.status, body: run.status === 200 ? 'report' : run.body }).toEqual({ status: 200, body: 'report' });
    expect(run.body.accounts[0].purged).toBe(3);
    const digests = (await call(t.url, 'GET', '/v1/integrity/digests', { key: x.key })).body.data;
    expect(digests.some((d: { purge_before?: string }) => d.purge_before)).toBe(true);
    await sealed(x);
    expect(await verify(x)).toMatchObject({ ok: true, first_bad: null });
    // Two waits for the sealer, which another suite's bulk insert can hold back for seconds on a loaded machine.
  }, 90_000);
});

describe('self-verifying exports and the offline verifier', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verify-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = join(__dirname, '../../../libs/verify/bin/audit-trail-verify.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

  /** Export the tenant's account log as NDJSON and save file, manifest and public key. */
  async function exported(x: Tenant, name: string) {
    // Verifications are audited: seal those entries too, so the only new row the export job must seal is its own export.requested.
    await sealed(x);
    const res = await call(t.url, 'POST', '/v1/exports', { key: x.key, body: { format: 'ndjson' } });
    expect(res.status).toBe(202);
    let e = res.body;
    const end = Date.now() + 60_000;
    while (e.status !== 'completed' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      e = (await call(t.url, 'GET', `/v1/exports/${res.body.id}`, { key: x.key })).body;
      if (e.status === 'failed') throw new Error(e.error);
    }
    expect(e.manifest_url).toMatch(/\/manifest\?token=/);
    const file = join(dir, `${name}.ndjson`);
    const manifest = join(dir, `${name}.manifest.json`);
    const key = join(dir, `${name}.pem`);
    writeFileSync(file, Buffer.from(await (await fetch(e.download_url)).arrayBuffer()));
    writeFileSync(manifest, Buffer.from(await (await fetch(e.manifest_url)).arrayBuffer()));
    const keys = (await call(t.url, 'GET', '/v1/integrity/public-key', { key: x.key })).body.data;
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    writeFileSync(key, keys.find((k: { key_id: string }) => k.key_id === m.key_id).public_key);
    return { file, manifest, key, rows: e.row_count as number };
  }

  it('verifies an export with nothing but the files and the public key', async () => {
    const { x } = await sealedTenant(15);
    const f = await exported(x, 'clean');
    const r = run(f.file, '--manifest', f.manifest, '--public-key', f.key);
    expect(r.stdout).toContain(`OK: ${f.rows} of ${f.rows} events proven against signed checkpoints`);
    expect(r.status).toBe(0);
  });

  it('verifies the same with the published package, installed alone from its tarball', async () => {
    const root = join(__dirname, '../../..');
    const pack = spawnSync(process.execPath, [join(root, 'scripts/pack-verify.mjs'), join(dir, 'pack')], { encoding: 'utf8' });
    expect(pack.status).toBe(0);
    const tarball = pack.stdout.trim().split('\n').pop() as string;
    const home = mkdtempSync(join(dir, 'install-'));
    // An empty folder and no registry: the tarball must carry everything it needs.
    const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: home, encoding: 'utf8' });
    expect({ status: install.status, stderr: install.stderr }).toMatchObject({ status: 0 });
    expect(readdirSync(join(home, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['@audit-trail']);
    const bin = join(home, 'node_modules/.bin/audit-trail-verify');
    const { x } = await sealedTenant(4);
    const f = await exported(x, 'packaged');
    const ok = spawnSync(bin, [f.file, '--manifest', f.manifest, '--public-key', f.key], { encoding: 'utf8' });
    expect(ok.stdout).toContain(`OK: ${f.rows} of ${f.rows} events proven against signed checkpoints`);
    expect(ok.status).toBe(0);
    const lines = readFileSync(f.file, 'utf8').split('\n');
    lines[1] = JSON.stringify({ ...JSON.parse(lines[1]), action: 'something.else' });
    writeFileSync(f.file, lines.join('\n'));
    expect(spawnSync(bin, [f.file, '--manifest', f.manifest, '--public-key', f.key], { encoding: 'utf8' }).status).toBe(1);
  });

  it('rejects an export file that was edited, and another key', async () => {
    const { x } = await sealedTenant(5);
    const f = await exported(x, 'edited');
    const lines = readFileSync(f.file, 'utf8').split('\n');
    const third = JSON.parse(lines[2]);
    lines[2] = JSON.stringify({ ...third, actor_id: 'someone_else' });
    writeFileSync(f.file, lines.join('\n'));
    const r = run(f.file, '--manifest', f.manifest, '--public-key', f.key);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("the file's SHA-256");
    expect(r.stdout).toContain(`row 3 (event ${third.id}) does not match its sealed leaf`);
    const other = join(dir, 'other.pem');
    writeFileSync(other, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const wrongKey = run(f.file, '--manifest', f.manifest, '--public-key', other);
    expect(wrongKey.status).toBe(1);
    expect(wrongKey.stdout).toContain('the manifest is not signed by this key');
    expect(run(f.file).status).toBe(2);
  });

  it('rejects an export containing an event changed in the database after sealing', async () => {
    const { x, ids } = await sealedTenant(6);
    await asSuperuser(`UPDATE audit_events SET metadata = '{"i": -1}' WHERE account_id = $1 AND id = $2`, [x.accountId, ids[4]]);
    const f = await exported(x, 'tampered');
    const r = run(f.file, '--manifest', f.manifest, '--public-key', f.key);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`event ${ids[4]}\\) does not match its sealed leaf`));
  });
});
