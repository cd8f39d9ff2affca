import { ACTION_RE, eventBatchSchema, eventInputSchema, eventQuerySchema, isSecretKey, redactText, textProblem } from '@audit-trail/audit-core';
import fc from 'fast-check';
import type { Client } from 'pg';
import { call, createTenant, ownerClient, startApp, type Tenant, type TestApp } from './harness';

// Property-based tests of the ingest and query contracts, over the schemas
// and over the live HTTP API. `npm test` runs a fixed-seed sample;
// `npm run fuzz` runs FUZZ_RUNS cases per property (10,000+ in all) with a
// seed it prints, so any failure can be replayed with FUZZ_SEED.

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const params = (runs = RUNS): fc.Parameters<unknown> => ({ numRuns: runs, seed: SEED, endOnFailure: true });

let t: TestApp;
let tenant: Tenant;
let db: Client;

beforeAll(async () => {
  t = await startApp();
  tenant = await createTenant(t, 'premium', 'Fuzz Co');
  db = await ownerClient();
  console.log(`[fuzz] seed ${SEED}, ${RUNS} runs per property`);
});
afterAll(async () => {
  await db?.end();
  await t?.close();
});

const count = async () => (await db.query('SELECT count(*)::int AS n FROM audit_events WHERE account_id = $1', [tenant.accountId])).rows[0].n as number;

// ---- arbitraries ------------------------------------------------------------

/** Any UTF-16 code unit: NUL, lone surrogates, controls, everything. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const hostileString = fc.oneof(
  fc.string({ unit: anyUnit, maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83d', '=cmd|calc', '../../etc/passwd', "'; DROP TABLE audit_events; --", '\u202e', '%00', 'a'.repeat(5000)),
);
/** Text PostgreSQL stores as it is: astral characters, combining marks, right-to-left, emoji. */
const storableText = (maxLength: number) =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: Math.min(maxLength, 40) }),
      fc.constantFrom('e\u0301\u0302', '\u05E9\u05DC\u05D5\u05DD \u0639\u0631\u0628\u064A', '\u{1F469}\u200D\u{1F4BB}', '\u{10FFFF}\u{1D11E}', 'x'.repeat(maxLength)),
    )
    .filter((s) => s.length >= 1 && s.length <= maxLength && textProblem(s) === null && redactText(s) === s);
const safeKey = storableText(24).filter((k) => !isSecretKey(k) && k !== '__proto__' && k !== 'constructor');
const jsonScalar = fc.oneof(
  storableText(200),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
);
const metadata = fc.dictionary(safeKey, fc.oneof(jsonScalar, fc.dictionary(safeKey, jsonScalar, { maxKeys: 3 }), fc.array(jsonScalar, { maxLength: 4 })), { maxKeys: 8 });
const action = fc.stringMatching(ACTION_RE).filter((a) => a.length <= 128);

const validEvent = fc.record(
  {
    action,
    actor: fc.record({ type: fc.constantFrom('user', 'api_key', 'system'), id: storableText(256), email: storableText(320).filter((s) => [...s].length >= 3), name: storableText(256) }, { requiredKeys: ['type'] }),
    target: fc.record({ type: storableText(128), id: storableText(256), name: storableText(256) }, { requiredKeys: ['type'] }),
    context: fc.record({ ip: fc.oneof(fc.ipV4(), fc.ipV6()), user_agent: storableText(1024) }, { requiredKeys: [] }),
    metadata,
    outcome: fc.constantFrom('success', 'failure'),
  },
  { requiredKeys: ['action', 'actor'] },
);

/** A hostile value for any field: wrong types, bad text, deep nesting, huge numbers. */
const deep = fc.integer({ min: 1, max: 3000 }).map((n) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.boolean(),
  deep,
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);
const FIELDS = ['action', 'occurred_at', 'workspace_id', 'actor', 'actor.type', 'actor.id', 'actor.name', 'target', 'target.name', 'context', 'context.ip', 'metadata', 'metadata.k', 'changes', 'changes.before', 'outcome', 'idempotency_key', 'extra'];
const mutatedEvent = fc.tuple(validEvent, fc.array(fc.tuple(fc.constantFrom(...FIELDS), hostileValue), { minLength: 1, maxLength: 3 })).map(([e, muts]) => {
  const out = structuredClone(e) as Record<string, unknown>;
  for (const [path, value] of muts) {
    const [a, b] = path.split('.');
    if (b === undefined) out[a] = value;
    else {
      const inner = out[a] && typeof out[a] === 'object' && !Array.isArray(out[a]) ? (out[a] as Record<string, unknown>) : {};
      inner[b] = value;
      out[a] = inner;
    }
  }
  return out;
});
const ingestBody = fc.oneof(
  { weight: 3, arbitrary: mutatedEvent },
  { weight: 1, arbitrary: fc.array(fc.oneof(validEvent, mutatedEvent), { minLength: 1, maxLength: 5 }).map((events) => ({ events })) },
  { weight: 1, arbitrary: hostileValue },
);

// ---- properties over the schemas (no I/O) ----------------------------------

describe('schemas', () => {
  it('never throw on any JSON, and accept every generated valid event', () => {
    fc.assert(
      fc.property(fc.oneof(ingestBody, validEvent), (body) => {
        expect(() => eventInputSchema.safeParse(body)).not.toThrow();
        expect(() => eventBatchSchema.safeParse(body)).not.toThrow();
      }),
      params(RUNS * 4),
    );
    fc.assert(fc.property(validEvent, (e) => eventInputSchema.safeParse(e).success), params(RUNS * 4));
  });

  it('never throw on any query', () => {
    fc.assert(fc.property(fc.dictionary(hostileString, fc.oneof(hostileString, fc.array(hostileString, { maxLength: 3 }))), (q) => void eventQuerySchema.safeParse(q)), params(RUNS * 4));
  });
});

// ---- properties over the live API -------------------------------------------

describe('the live API', () => {
  it('never answers 5xx to an ingest body, and a refused body stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(ingestBody, async (body) => {
        const before = await count();
        const res = await call(t.url, 'POST', '/v1/events', { key: tenant.key, body });
        expect(res.status).toBeLessThan(500);
        const after = await count();
        if (res.status === 202) expect(after - before).toBe(res.body.ids.length);
        else {
          expect(res.headers.get('content-type')).toContain('application/problem+json');
          expect(after).toBe(before);
        }
      }),
      params(),
    );
  });

  it('never answers 5xx to raw bytes, and stores nothing from them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded'), async (bytes, type) => {
        const before = await count();
        const res = await fetch(`${t.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${tenant.key}`, 'content-type': type }, body: new Uint8Array(bytes) });
        await res.arrayBuffer();
        expect(res.status).toBeLessThan(500);
        if (res.status !== 202) expect(await count()).toBe(before);
      }),
      params(),
    );
  });

  it('reads back an accepted event exactly as it was sent', async () => {
    await fc.assert(
      fc.asyncProperty(validEvent, async (e) => {
        const res = await call(t.url, 'POST', '/v1/events', { key: tenant.key, body: e });
        expect([res.status, res.status === 202 ? null : res.body]).toEqual([202, null]);
        const got = (await call(t.url, 'GET', `/v1/events/${res.body.ids[0]}`, { key: tenant.key })).body;
        expect({
          action: got.action, actor_type: got.actor_type, actor_id: got.actor_id, actor_name: got.actor_name, actor_email: got.actor_email,
          target_type: got.target_type, target_id: got.target_id, target_name: got.target_name, user_agent: got.user_agent, metadata: got.metadata,
        }).toEqual({
          action: e.action, actor_type: e.actor.type, actor_id: e.actor.id ?? null, actor_name: e.actor.name ?? null, actor_email: e.actor.email?.toLowerCase() ?? null,
          target_type: e.target?.type ?? null, target_id: e.target?.id ?? null, target_name: e.target?.name ?? null, user_agent: e.context?.user_agent ?? null, metadata: e.metadata ?? null,
        });
      }),
      params(),
    );
  });

  const QUERY_KEYS = ['scope', 'workspace_id', 'from', 'to', 'action', 'category', 'actor_id', 'actor_email', 'ip', 'target_type', 'target_id', 'outcome', 'outcome_not', 'q', 'limit', 'cursor', 'interval', 'tz', 'colour'];
  const RAW = ['%00', '%FF', '%ED%A0%80', '%', '%zz', '+', '%2B', '%E2%80%AE', '2026-02-30T00:00:00Z', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '10.0.0.0/33', '::/0', '-1', '1e3', 'workspace', 'account'];
  const qValue = fc.oneof(hostileString.map((s) => encodeURIComponent(s.toWellFormed())), fc.constantFrom(...RAW), fc.array(fc.constantFrom(...RAW), { minLength: 2, maxLength: 3 }).map((xs) => xs.join('')));
  const queryString = fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), qValue), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));

  it('never answers 5xx to any combination of query parameters', async () => {
    await fc.assert(
      fc.asyncProperty(queryString, fc.constantFrom('/v1/events', '/v1/events/activity', '/v1/integrity/digests', '/v1/exports', '/v1/destinations'), async (qs, path) => {
        const res = await call(t.url, 'GET', `${path}?${qs}`, { key: tenant.key });
        expect([qs, res.status < 500]).toEqual([qs, true]);
      }),
      params(),
    );
  });

  it('never answers 5xx to any id in a path', async () => {
    await fc.assert(
      fc.asyncProperty(qValue, fc.constantFrom('/v1/events/', '/v1/events/%s/proof', '/v1/exports/', '/v1/destinations/', '/v1/api-keys/%s/rotate'), async (id, tpl) => {
        const path = tpl.includes('%s') ? tpl.replace('%s', id) : tpl + id;
        const method = tpl.endsWith('rotate') ? 'POST' : 'GET';
        const res = await call(t.url, method, path, { key: tenant.key });
        expect([path, res.status < 500]).toEqual([path, true]);
      }),
      params(),
    );
  });
});
