import { createHash } from 'node:crypto';
import { canonicalEvent, canonicalJson, leafHashHex, consistencyProof, inclusionProof, MerkleFrontier, merkleRoot, nodeHash, rootFromInclusion, sealedFields, verifyConsistency } from './merkle';

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

describe('the sealed form of an event', () => {
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
