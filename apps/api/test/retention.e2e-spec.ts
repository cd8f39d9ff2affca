import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { addMember, appRoleClient, call, createTenant, ownerClient, setPlan, startApp, startWorker, stopChild, type Tenant, type TestApp } from './harness';

// The API in this process and the real worker (BullMQ, the retention role's pool) as a child process, on their own queue prefix.
const env = { QUEUE_PREFIX: `test-ret-${randomUUID().slice(0, 8)}` };
const DAY = 86_400_000;
let t: TestApp;
let worker: ChildProcess;
let db: Client;
const mine: string[] = [];

beforeAll(async () => {
  t = await startApp(env);
  worker = await startWorker(env);
  db = await ownerClient();
});
afterAll(async () => {
  await db?.end();
  if (worker) await stopChild(worker);
  await t?.close();
});

async function tenant(plan: Parameters<typeof createTenant>[1], name: string): Promise<Tenant> {
  const x = await createTenant(t, plan, name);
  mine.push(x.accountId);
  return x;
}

/** Events at known ages (days before now), in the account log or one workspace. */
async function backfill(accountId: string, ages: number[], workspaceId: string | null = null, action = 'record.kept'): Promise<void> {
  for (const age of ages) {
    const at = new Date(Date.now() - age * DAY);
    await db.query('SELECT audit_ensure_partition($1)', [at]);
    await db.query(
      `INSERT INTO audit_events (account_id, id, workspace_id, occurred_at, received_at, action, category, actor_type, actor_id, outcome)
       VALUES ($1, gen_random_uuid(), $2, $3, now(), $4, 'custom', 'user', 'u_1', 'success')`,
      [accountId, workspaceId, at, action],
    );
  }
}

/** Ages (whole days) of an account's remaining backfilled events, per log. */
async function remaining(accountId: string, workspaceId: string | null = null): Promise<number[]> {
  const { rows } = await db.query<{ age: number }>(
    `SELECT round(extract(epoch FROM now() - occurred_at) / 86400)::int AS age FROM audit_events
     WHERE account_id = $1 AND action = 'record.kept' AND workspace_id IS NOT DISTINCT FROM $2 ORDER BY 1`,
    [accountId, workspaceId],
  );
  return rows.map((r) => r.age);
}

async function run(accountIds = mine) {
  const res = await call(t.url, 'POST', '/v1/operator/retention/run', { headers: { authorization: `Bearer ${t.config.OPERATOR_TOKEN}` }, body: { account_ids: accountIds } });
  expect(res.status).toBe(200);
  return res.body as { purged_total: number; partitions_dropped: string[]; accounts: { account_id: string; purged: number; cutoff: string | null; held: string | null; held_workspace_ids: string[] }[] };
}
const of = (report: Awaited<ReturnType<typeof run>>, x: Tenant) => report.accounts.find((a) => a.account_id === x.accountId);

describe('the retention run', () => {
  let ess: Tenant;
  let prem: Tenant;
  let down: Tenant;
  let fell: Tenant;
  let never: Tenant;
  let essWs: string;

  beforeAll(async () => {
    ess = await tenant('essentials', 'Essentials Co');
    prem = await tenant('premium', 'Premium Co');
    down = await tenant('premium', 'Downgraded Co');
    fell = await tenant('premium', 'Fell Co');
    never = await tenant('free', 'Never Co');
    essWs = (await call(t.url, 'POST', '/v1/workspaces', { key: ess.key, body: { name: 'Staging' } })).body.id;
    await backfill(ess.accountId, [5, 60, 100, 800]);
    await backfill(ess.accountId, [5, 100], essWs);
    await backfill(prem.accountId, [5, 100, 800]);
    await backfill(down.accountId, [5, 100, 800]);
    await backfill(fell.accountId, [5, 100]);
    await backfill(never.accountId, [1, 5]);
    // Premium → Essentials today: the 730-day retention still applies for the grace period.
    await setPlan(t, down.accountId, 'essentials');
    // Premium → Free, and the grace period of that downgrade is over.
    await setPlan(t, fell.accountId, 'free');
    await db.query(`UPDATE accounts SET retention_grace_until = now() - interval '1 day' WHERE id = $1`, [fell.accountId]);
  });

  it('purges exactly the expired events per plan, account log and workspace alike, and reports it per account', async () => {
    const report = await run();
    expect(await remaining(ess.accountId)).toEqual([5, 60]);
    expect(await remaining(ess.accountId, essWs)).toEqual([5]);
    expect(of(report, ess)).toMatchObject({ purged: 3, held: null });
    expect(Date.parse(of(report, ess)?.cutoff ?? '')).toBeCloseTo(Date.now() - 90 * DAY, -5);

    expect(await remaining(prem.accountId)).toEqual([5, 100]);
    expect(of(report, prem)?.purged).toBe(1);
    // Inside the downgrade grace the longer retention holds: only what Premium would purge goes.
    expect(await remaining(down.accountId)).toEqual([5, 100]);
    expect(of(report, down)?.purged).toBe(1);
    // Fell to free and the grace is over: nothing is kept; never licensed: nothing is kept.
    expect(await remaining(fell.accountId)).toEqual([]);
    expect(await remaining(never.accountId)).toEqual([]);
    expect(of(report, never)?.purged).toBe(2);
  });

  it('audits each purge as retention.purged by the system, with the cutoff and the count', async () => {
    const res = await call(t.url, 'GET', '/v1/events?action=retention.purged', { key: ess.key });
    expect(res.body.entries).toHaveLength(1);
    expect(res.body.entries[0]).toMatchObject({ actor_type: 'system', actor_id: 'retention', scope: 'account', metadata: { events_removed: 3, retention_days: 90 } });
    expect(typeof res.body.entries[0].metadata.cutoff).toBe('string');
    // An account without the audit log records nothing, purge or not.
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM audit_events WHERE account_id = $1 AND action = 'retention.purged'`, [fell.accountId]);
    expect(rows[0].n).toBe(0);
  });

  it('is idempotent: a second run deletes nothing more', async () => {
    const report = await run();
    expect(report.purged_total).toBe(0);
    expect(await remaining(ess.accountId)).toEqual([5, 60]);
    expect(await remaining(prem.accountId)).toEqual([5, 100]);
  });

  it('drops a wholly expired month partition instead of deleting its rows', async () => {
    // A month nobody else writes to: ~9.4 years back, rows of two of our accounts only.
    // The drop waits at most 500 ms for its lock and otherwise leaves the rows to the
    // batched deletes (by design); other suites ingesting at the same time can hold
    // that lock, so the whole scenario is set up again, a few times at most.
    let report: Awaited<ReturnType<typeof run>> | undefined;
    let name = '';
    for (let attempt = 0; attempt < 5 && !report?.partitions_dropped.includes(name); attempt++) {
      await backfill(ess.accountId, [3440, 3440]);
      await backfill(prem.accountId, [3440]);
      name = (await db.query<{ name: string }>('SELECT audit_ensure_partition($1) AS name', [new Date(Date.now() - 3440 * DAY)])).rows[0].name;
      report = await run();
    }
    if (!report) throw new Error('no retention run');
    expect(report.partitions_dropped).toContain(name);
    expect(of(report, ess)?.purged).toBe(2);
    expect(of(report, prem)?.purged).toBe(1);
    const left = await db.query('SELECT to_regclass($1) AS t', [name]);
    expect(left.rows[0].t).toBeNull();
  });

  it('keeps the application role unable to delete events or drop partitions', async () => {
    const app = await appRoleClient(t);
    try {
      await app.query('BEGIN');
      await app.query(`SELECT set_config('app.account_id', $1, true)`, [prem.accountId]);
      await expect(app.query('DELETE FROM audit_events WHERE account_id = $1', [prem.accountId])).rejects.toThrow(/permission denied|append-only/);
      await app.query('ROLLBACK');
      await expect(app.query(`SELECT * FROM audit_drop_partition('audit_events_y2000m01', '{}')`)).rejects.toThrow(/permission denied/);
      await expect(app.query('SELECT * FROM app_retention_accounts()')).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
    expect(await remaining(prem.accountId)).toEqual([5, 100]);
  });

  it('answers 404 without the operator token and 422 for bad account ids', async () => {
    expect((await call(t.url, 'POST', '/v1/operator/retention/run', { key: prem.key, body: {} })).status).toBe(404);
    const bad = await call(t.url, 'POST', '/v1/operator/retention/run', { headers: { authorization: `Bearer ${t.config.OPERATOR_TOKEN}` }, body: { account_ids: ['nope'] } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe('account_ids[0]');
  });
});

describe('legal holds', () => {
  let ent: Tenant;
  let wsId: string;
  const hold = (body: unknown, x: Tenant = ent) => call(t.url, 'POST', '/v1/legal-holds', { session: x.owner, body });

  beforeAll(async () => {
    ent = await tenant('enterprise', 'Enterprise Co');
    wsId = (await call(t.url, 'POST', '/v1/workspaces', { key: ent.key, body: { name: 'Investigated' } })).body.id;
  });

  it('an account hold stops every purge of the account; its release lets the next run purge', async () => {
    await backfill(ent.accountId, [5, 3000]);
    await backfill(ent.accountId, [3000], wsId);
    const placed = await hold({ scope: 'account', reason: 'Litigation 2026-114' });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ scope: 'account', workspace_id: null, active: true, reason: 'Litigation 2026-114' });

    const held = await run([ent.accountId]);
    expect(of(held, ent)).toMatchObject({ purged: 0, held: 'account', cutoff: null });
    expect(await remaining(ent.accountId)).toEqual([5, 3000]);
    expect(await remaining(ent.accountId, wsId)).toEqual([3000]);

    const released = await call(t.url, 'DELETE', `/v1/legal-holds/${placed.body.id}`, { session: ent.owner });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ active: false, released_by: ent.userId });
    expect((await call(t.url, 'DELETE', `/v1/legal-holds/${placed.body.id}`, { session: ent.owner })).status).toBe(409);

    const after = await run([ent.accountId]);
    expect(of(after, ent)?.purged).toBe(2);
    expect(await remaining(ent.accountId)).toEqual([5]);
    expect(await remaining(ent.accountId, wsId)).toEqual([]);
  });

  it('a workspace hold keeps that workspace and lets the rest of the account purge', async () => {
    await backfill(ent.accountId, [2900]);
    await backfill(ent.accountId, [2900], wsId);
    const placed = await hold({ scope: 'workspace', workspace_id: wsId, reason: 'Incident 7' });
    expect(placed.status).toBe(201);
    const report = await run([ent.accountId]);
    expect(of(report, ent)).toMatchObject({ purged: 1, held: null, held_workspace_ids: [wsId] });
    expect(await remaining(ent.accountId)).toEqual([5]);
    expect(await remaining(ent.accountId, wsId)).toEqual([2900]);
    await call(t.url, 'DELETE', `/v1/legal-holds/${placed.body.id}`, { session: ent.owner });
    expect(of(await run([ent.accountId]), ent)?.purged).toBe(1);
    expect(await remaining(ent.accountId, wsId)).toEqual([]);
  });

  it('lists holds, active first, and audits placing and releasing them', async () => {
    const list = await call(t.url, 'GET', '/v1/legal-holds', { session: ent.owner });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(2);
    const log = await call(t.url, 'GET', '/v1/events?category=retention&limit=100', { key: ent.key });
    const actions = log.body.entries.map((e: { action: string }) => e.action);
    expect(actions.filter((a: string) => a === 'legal_hold.placed')).toHaveLength(2);
    expect(actions.filter((a: string) => a === 'legal_hold.released')).toHaveLength(2);
    const placed = log.body.entries.find((e: { action: string }) => e.action === 'legal_hold.placed');
    expect(placed).toMatchObject({ actor_type: 'user', actor_id: ent.userId, metadata: { scope: 'workspace', reason: 'Incident 7' } });
  });

  it('refuses bad holds with 4xx and stores nothing', async () => {
    const before = (await call(t.url, 'GET', '/v1/legal-holds', { session: ent.owner })).body.data.length;
    expect((await hold({ scope: 'workspace', reason: 'x' })).status).toBe(422);
    expect((await hold({ scope: 'account', reason: '' })).status).toBe(422);
    expect((await hold({ scope: 'galaxy', reason: 'x' })).status).toBe(422);
    expect((await hold({ scope: 'account', reason: 'x', extra: 1 })).status).toBe(422);
    expect((await hold({ scope: 'account', workspace_id: wsId, reason: 'x' })).status).toBe(422);
    expect((await hold({ scope: 'workspace', workspace_id: randomUUID(), reason: 'x' })).status).toBe(404);
    expect((await call(t.url, 'GET', '/v1/legal-holds', { session: ent.owner })).body.data).toHaveLength(before);
  });

  it('is for account owners only', async () => {
    const admin = await addMember(t, ent, 'admin');
    expect((await call(t.url, 'POST', '/v1/legal-holds', { session: admin.session, body: { scope: 'account', reason: 'x' } })).status).toBe(403);
    expect((await call(t.url, 'GET', '/v1/legal-holds', { key: ent.key })).status).toBe(403);
  });

  it('follows the plan: 404 without the audit log, 403 plan-limit without legal_hold, 201 with it', async () => {
    const other = await tenant('free', 'Flip Co');
    const unknown = await call(t.url, 'GET', '/v1/no-such-route', { session: other.owner });
    const hidden = await hold({ scope: 'account', reason: 'x' }, other);
    expect(hidden.status).toBe(404);
    expect(hidden.body.title).toBe(unknown.body.title);
    await setPlan(t, other.accountId, 'premium');
    const limited = await hold({ scope: 'account', reason: 'x' }, other);
    expect(limited.status).toBe(403);
    expect(limited.body.type).toMatch(/\/plan-limit$/);
    expect(limited.body.detail).toBe('Legal holds are not part of Premium; they come with Enterprise.');
    await setPlan(t, other.accountId, 'enterprise');
    expect((await hold({ scope: 'account', reason: 'x' }, other)).status).toBe(201);
  });

  it("another tenant's hold is 404, and its list shows none of ours", async () => {
    const other = await tenant('enterprise', 'Other Co');
    const ours = (await call(t.url, 'GET', '/v1/legal-holds', { session: ent.owner })).body.data[0];
    expect((await call(t.url, 'DELETE', `/v1/legal-holds/${ours.id}`, { session: other.owner })).status).toBe(404);
    expect((await call(t.url, 'GET', '/v1/legal-holds', { session: other.owner })).body.data).toEqual([]);
    expect((await call(t.url, 'POST', '/v1/legal-holds', { session: other.owner, body: { scope: 'workspace', workspace_id: wsId, reason: 'x' } })).status).toBe(404);
  });

  it('shows the retention period and cutoff on the account', async () => {
    const res = await call(t.url, 'GET', '/v1/account', { session: ent.owner });
    expect(res.body.retention).toMatchObject({ days: 2555, grace_until: null, previous_days: null });
    expect(Date.parse(res.body.retention.cutoff)).toBeCloseTo(Date.now() - 2555 * DAY, -5);
  });
});

it("does not take another deployment's worker for its own (each QUEUE_PREFIX has its own heartbeat)", async () => {
  // This file's worker is alive on its prefix; an api on another prefix sharing the Redis has no worker.
  const other = await startApp({ QUEUE_PREFIX: `test-ret-other-${randomUUID().slice(0, 8)}` });
  try {
    const res = await call(other.url, 'POST', '/v1/operator/retention/run', { headers: { authorization: `Bearer ${other.config.OPERATOR_TOKEN}` }, body: {} });
    expect(res.status).toBe(503);
    expect(res.body.detail).toMatch(/No worker is running/);
  } finally {
    await other.close();
  }
});
