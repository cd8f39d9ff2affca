import fc from 'fast-check';
import { createHash } from 'node:crypto';
import type { ApiEvent } from './normalize';
import { canonicalEvent, canonicalJson, canonicalSealedValues, leafHashHex, leafHashHexOfValues, SEALED_KEYS, consistencyProof, inclusionProof, MerkleFrontier, merkleRoot, nodeHash, rootFromInclusion, sealedFields, verifyConsistency } from './merkle';

const h = (s: string) => createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(s)])).digest();
const leaves = Array.from({ length: 23 }, (_, i) => h(`leaf ${i}`));

/** RFC 6962's recursive definition, written as plainly as possible, to check the fast versions against. */
function mth(d: Buffer[]): Buffer {
  if (d.length === 0) return createHash('sha256').digest();
  if (d.length === 1) return d[0];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys, drops white space and undefined, keeps unicode and numbers in ES form', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1e21, y: 0.000001, ü: '\u20ac' }, d: undefined })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":0.000001,"z":1e+21,"ü":"€"}}');
    expect(canonicalJson({ '\u00e9': 1, e: 2, E: 3 })).toBe('{"E":3,"e":2,"é":1}');
  });
});

/** RFC 8785 written as plainly as possible (the form every leaf before the fast one was sealed with). */
function plainCanonical(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string' || typeof value === 'number') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => plainCanonical(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${plainCanonical(v)}`).join(',')}}`;
}

describe('canonical JSON, the fast form', () => {
  it('equals the plain definition for any JSON value, including keys outside the BMP and odd numbers', () => {
    const key = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.string({ unit: 'binary' }), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 5 }),
      object: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
    })).value;
    fc.assert(fc.property(json, (v) => canonicalJson(v) === plainCanonical(v)), { seed: 20261202, numRuns: 2000 });
  });
});

describe('the sealed form of an event', () => {
  const text = fc.option(fc.oneof(fc.string(), fc.string({ unit: 'binary' })), { nil: null });
  const event: fc.Arbitrary<ApiEvent> = fc.record({
    id: fc.uuid(), account_id: fc.uuid(), workspace_id: fc.option(fc.uuid(), { nil: null }), scope: fc.constantFrom('account' as const, 'workspace' as const),
    action: fc.string(), category: fc.string(), occurred_at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), received_at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    actor_type: fc.string(), actor_id: text, actor_email: text, actor_name: text, target_type: text, target_id: text, target_name: text, ip: text, user_agent: text,
    outcome: fc.constantFrom('success', 'failure'), metadata: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: null }),
    changes: fc.option(fc.record({ before: fc.dictionary(fc.string(), fc.jsonValue()), after: fc.dictionary(fc.string(), fc.jsonValue()) }), { nil: null }),
    source: fc.constantFrom('api' as const, 'platform' as const), api_key_id: fc.option(fc.uuid(), { nil: null }),
  });

  it('from its values in SEALED_KEYS order is, byte for byte, the plain canonical JSON of its sealed fields', () => {
    fc.assert(
      fc.property(event, fc.constantFrom(1 as const, 2 as const), (e, v) => {
        const plain = plainCanonical(sealedFields(e, v));
        return canonicalSealedValues(SEALED_KEYS.map((k) => e[k]), v) === plain && canonicalEvent(e, v) === plain;
      }),
      { seed: 20261202, numRuns: 1000 },
    );
  });

  it('hashes a fixed event to the leaves sealed before the fast form (version 1 and 2)', () => {
    const e: ApiEvent = {
      id: '0192f0c4-1b7e-7000-8000-00000000000a', account_id: '0192f0c4-1b7e-7000-8000-000000000001', workspace_id: null, scope: 'account', action: 'document.update',
      category: 'content', occurred_at: '2026-11-30T23:59:59.999Z', received_at: '2026-12-01T00:00:00.120Z', actor_type: 'user', actor_id: 'u_"42\\',
      actor_email: 'zoë@example.com', actor_name: 'Zoë \u2028 \u{1F600} \t', target_type: 'document', target_id: 'd_1', target_name: null, ip: '2001:db8::1',
      user_agent: 'curl/8', outcome: 'failure', metadata: { z: [1, { b: null, a: 'é' }], a: 1.5, aa: -0, B: 1e21, '\u00e9': {}, e: [] },
      changes: { before: { title: 'a' }, after: { title: 'b' } }, source: 'api', api_key_id: '0192f0c4-1b7e-7000-8000-0000000000ff',
    };
    // Computed by the implementation that sealed every leaf up to December 2026.
    expect(leafHashHex(e, 1)).toBe('6c685aa2bec86799f17d25f1ef9ed141daf5a9ec31474167cacbda7a5a71fc30');
    expect(leafHashHex(e, 2)).toBe('32fdc7e16d62b81971ee89b81c52658698f437b0d163cfdfce437a13a746b5df');
    expect(leafHashHexOfValues(SEALED_KEYS.map((k) => e[k]), 2)).toBe('32fdc7e16d62b81971ee89b81c52658698f437b0d163cfdfce437a13a746b5df');
  });

  it('is exactly the canonical JSON of its stored fields', () => {
    const base = {
      id: 'e1', account_id: 'a', workspace_id: null, scope: 'account' as const, action: 'x.y', category: 'custom', occurred_at: '2026-01-01T00:00:00.000Z',
      received_at: '2026-01-01T00:00:00.100Z', actor_type: 'user', actor_id: 'u"1', actor_email: null, actor_name: 'Zoë \u2028', target_type: null,
      target_id: null, target_name: null, ip: '::1', user_agent: null, outcome: 'success', metadata: { z: [1, { b: null, a: 'é' }], a: 1.5 }, changes: null,
      source: 'api' as const, api_key_id: 'k1',
    };
    for (const e of [base, { ...base, metadata: null, changes: { before: { a: 1 }, after: { a: 2 } }, workspace_id: 'w', source: 'platform' as const, api_key_id: null }]) {
      for (const v of [1, 2] as const) expect(canonicalEvent(e, v)).toBe(canonicalJson(sealedFields(e, v)));
    }
  });

  it('covers provenance from version 2 on: the source cannot change without the leaf changing', () => {
    const e = {
      id: 'e1', account_id: 'a', workspace_id: null, scope: 'account' as const, action: 'api_key.revoked', category: 'api_keys', occurred_at: '2026-01-01T00:00:00.000Z',
      received_at: '2026-01-01T00:00:00.100Z', actor_type: 'system', actor_id: null, actor_email: null, actor_name: null, target_type: null,
      target_id: null, target_name: null, ip: null, user_agent: null, outcome: 'success', metadata: null, changes: null, source: 'api' as const, api_key_id: 'k1',
    };
    expect(leafHashHex({ ...e, source: 'platform' })).not.toBe(leafHashHex(e));
    expect(leafHashHex({ ...e, api_key_id: null })).not.toBe(leafHashHex(e));
    // Version 1 leaves (sealed before provenance) are what they always were.
    expect(leafHashHex({ ...e, source: 'platform' }, 1)).toBe(leafHashHex(e, 1));
    expect(canonicalEvent(e, 1)).not.toContain('source');
  });
});

describe('Merkle tree (RFC 6962)', () => {
  it('computes the same root incrementally as the recursive definition, for every size', () => {
    const f = new MerkleFrontier();
    for (let n = 1; n <= leaves.length; n++) {
      f.append(leaves[n - 1]);
      expect(f.root().equals(mth(leaves.slice(0, n)))).toBe(true);
      expect(merkleRoot(leaves.slice(0, n)).equals(mth(leaves.slice(0, n)))).toBe(true);
    }
  });

  it('proves and verifies inclusion of every leaf in every tree size, and rejects a wrong leaf', () => {
    for (let n = 1; n <= leaves.length; n++) {
      const root = mth(leaves.slice(0, n));
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(leaves, m, n);
        expect(rootFromInclusion(leaves[m], m, n, proof)?.equals(root)).toBe(true);
        expect(rootFromInclusion(h('forged'), m, n, proof)?.equals(root) ?? false).toBe(false);
      }
    }
  });

  it('proves and verifies consistency between every pair of sizes, and rejects a rewritten history', () => {
    for (let n = 1; n <= leaves.length; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(leaves, m, n);
        expect(verifyConsistency(m, n, mth(leaves.slice(0, m)), mth(leaves.slice(0, n)), proof)).toBe(true);
        if (m < n) {
          const rewritten = [...leaves.slice(0, m - 1), h('rewritten'), ...leaves.slice(m)];
          expect(verifyConsistency(m, n, mth(leaves.slice(0, m)), mth(rewritten.slice(0, n)), proof)).toBe(false);
        }
      }
    }
  });
});
