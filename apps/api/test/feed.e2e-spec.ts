import { randomUUID } from 'node:crypto';
import { ReadAuditService } from '../src/self-audit/read-audit.service';
import { call, createTenant, ownerClient, setPlan, startApp, type Tenant, type TestApp } from './harness';

// GET /v1/events/feed: one log in commit order after an opaque position.
let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

interface FeedAnswer {
  entries: { id: string; action: string; occurred_at: string }[];
  next_position: string | null;
}

async function feed(x: Tenant, query = ''): Promise<FeedAnswer> {
  const res = await call<FeedAnswer>(t.url, 'GET', `/v1/events/feed${query}`, { key: x.key });
  if (res.status !== 200) throw new Error(`feed ${res.status} ${res.text}`);
  return res.body;
}

/**
 * Read the feed from `after`, page by page, until `n` entries of `mine` have
 * arrived (another suite's open transaction can hold the feed back for a
 * while: that is the feed keeping its promise). Returns those entries' ids in
 * the order handed out, every id seen, and the last position.
 */
async function collect(x: Tenant, after: string | null, n: number, mine: (e: { action: string }) => boolean, limit = 3, extra = '') {
  const ids: string[] = [];
  const seen: string[] = [];
  let position = after;
  const end = Date.now() + 60_000;
  while (ids.length < n) {
    const page = await feed(x, `?limit=${limit}${position ? `&after=${position}` : ''}${extra}`);
    seen.push(...page.entries.map((e) => e.id));
    ids.push(...page.entries.filter(mine).map((e) => e.id));
    if (page.entries.length > 0) position = page.next_position;
    else if (Date.now() > end) throw new Error(`only ${ids.length} of ${n} entries arrived`);
    else await new Promise((r) => setTimeout(r, 100));
  }
  return { ids, seen, position };
}

/** The position at the feed's current end. */
async function end(x: Tenant, extra = ''): Promise<string | null> {
  let position: string | null = null;
  for (;;) {
    const page = await feed(x, `?limit=1000${position ? `&after=${position}` : ''}${extra}`);
    if (page.entries.length === 0) return position;
    position = page.next_position;
  }
}

const action = (prefix: string) => (e: { action: string }) => e.action.startsWith(prefix);
/** The query for reading after a position (none: from the start). */
const after = (position: string | null) => (position ? `?after=${position}` : '');

async function ingest(x: Tenant, actions: string[], extra: Record<string, unknown> = {}): Promise<string[]> {
  const res = await call(t.url, 'POST', '/v1/events', { key: x.key, body: { events: actions.map((action) => ({ action, actor: { type: 'user', id: 'u_1' }, ...extra })) } });
  expect(res.status).toBe(202);
  return res.body.ids;
}

describe('the change feed', () => {
  it('hands out every event once, in commit order, across pages, and a stored position resumes exactly there', async () => {
    const x = await createTenant(t, 'enterprise', 'Feed Co');
    const start = await end(x);
    const a = await ingest(x, ['doc.one', 'doc.two', 'doc.three', 'doc.four']);
    const b = await ingest(x, ['doc.five', 'doc.six']);
    const got = await collect(x, start, 6, action('doc.'));
    expect(got.ids).toEqual([...a, ...b]);
    expect(new Set(got.seen).size).toBe(got.seen.length);
    // Nothing new: the same position comes back, and nothing is repeated.
    const again = await feed(x, after(got.position));
    expect(again.entries.filter(action('doc.'))).toEqual([]);
  });

  it('puts a back-dated event after every position already handed out', async () => {
    const x = await createTenant(t, 'enterprise', 'Backdate Co');
    await ingest(x, ['doc.before']);
    await collect(x, null, 1, action('doc.before'));
    const start = await end(x);
    const old = await ingest(x, ['doc.backdated'], { occurred_at: new Date(Date.now() - 40 * 86_400_000).toISOString() });
    expect((await collect(x, start, 1, action('doc.'))).ids).toEqual(old);
  });

  it('holds back events committed after a transaction still open, then hands out the late one first', async () => {
    const x = await createTenant(t, 'enterprise', 'Late Co');
    const start = await end(x);
    const late = randomUUID();
    const c = await ownerClient();
    try {
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO audit_events (account_id, id, occurred_at, received_at, action, category, actor_type, outcome) VALUES ($1, $2, now(), now(), 'doc.late', 'custom', 'system', 'success')`,
        [x.accountId, late],
      );
      const later = await ingest(x, ['doc.after_1', 'doc.after_2']);
      // The open transaction is older than both: neither may be handed out yet, or the late row would land behind a position already given.
      await new Promise((r) => setTimeout(r, 200));
      expect((await feed(x, after(start))).entries.filter(action('doc.'))).toEqual([]);
      await c.query('COMMIT');
      expect((await collect(x, start, 3, action('doc.'))).ids).toEqual([late, ...later]);
    } finally {
      await c.query('ROLLBACK').catch(() => undefined);
      await c.end();
    }
  });

  it('follows one workspace log, and refuses what does not name one log or is not a position', async () => {
    const x = await createTenant(t, 'enterprise', 'Scoped Co');
    const inWorkspace = await ingest(x, ['ws.thing'], { workspace_id: x.workspaceId });
    const inAccount = await ingest(x, ['account.thing']);
    const ws = `&scope=workspace&workspace_id=${x.workspaceId}`;
    expect((await collect(x, null, 1, action('ws.'), 10, ws)).ids).toEqual(inWorkspace);
    const account = await collect(x, null, 1, action('account.'), 10);
    expect(account.ids).toEqual(inAccount);
    expect(account.seen).not.toContain(inWorkspace[0]);
    for (const q of ['?scope=workspace', '?after=not-a-position', `?after=${Buffer.from('v1|x|y').toString('base64url')}`, '?limit=0', '?limit=1001', '?since=1']) {
      const res = await call(t.url, 'GET', `/v1/events/feed${q}`, { key: x.key });
      expect({ q, status: res.status, type: res.headers.get('content-type') }).toEqual({ q, status: 400, type: expect.stringContaining('application/problem+json') });
    }
  });

  it('is 404 without the audit log, shows another tenant nothing of ours, and records the read', async () => {
    const x = await createTenant(t, 'enterprise', 'Own Co');
    const ours = await ingest(x, ['mine.only']);
    await collect(x, null, 1, action('mine.'));
    const y = await createTenant(t, 'enterprise', 'Other Co');
    await ingest(y, ['theirs.only']);
    const theirs = await collect(y, null, 1, action('theirs.'), 50);
    expect(theirs.seen).not.toContain(ours[0]);
    const res = await call(t.url, 'GET', `/v1/events/feed?scope=workspace&workspace_id=${x.workspaceId}`, { key: y.key });
    expect(res.status).toBe(400);
    // Reading the feed is a read of the log, recorded like any other once its window closes.
    await t.app.get(ReadAuditService).sweep(Date.now() + 16 * 60_000);
    const viewed = await call(t.url, 'GET', '/v1/events?action=log.viewed', { key: y.key });
    expect(viewed.body.entries.some((e: { metadata: { filters: { feed?: boolean } } }) => e.metadata.filters.feed === true)).toBe(true);
    await setPlan(t, y.accountId, 'free');
    expect((await call(t.url, 'GET', '/v1/events/feed', { key: y.key })).status).toBe(404);
  });
});
