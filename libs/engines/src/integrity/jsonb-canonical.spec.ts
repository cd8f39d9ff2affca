import { canonicalJson } from '@audit-trail/audit-core';
import fc from 'fast-check';
import { writeJsonbCanonical } from './jsonb-canonical';

/** jsonb's text form as PostgreSQL prints it: keys by byte length then bytes, ", " and ": ", strings as JSON escapes them. */
function jsonbText(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(', ')}]`;
  const keys = Object.keys(v).sort((a, b) => {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length - y.length || Buffer.compare(x, y);
  });
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText((v as Record<string, unknown>)[k])}`).join(', ')}}`;
}

function fast(text: string): string | null {
  const src = Buffer.from(`\u0001${text}`);
  const out = Buffer.alloc(src.length + 16);
  const p = writeJsonbCanonical(out, 0, src, 1, src.length);
  return p < 0 ? null : out.toString('utf8', 0, p);
}

const anyKey = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('a', 'b', 'bb', 'ab', 'a!', 'a ', 'A', 'é', '😀', '', '"', '\\'));
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, -0, 1e15, 1e21, 123456789012345, 1234567890123456, 0.1, 1.5, -7),
    fc.oneof(fc.string(), fc.string({ unit: 'binary' })),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(anyKey, tie('value'), { maxKeys: 5 }),
})).value;

describe('jsonb text to canonical JSON without parsing', () => {
  it('writes exactly canonicalJson, or declines: never a wrong form', () => {
    fc.assert(
      fc.property(anyJson, (v) => {
        const text = jsonbText(v);
        const got = fast(text);
        return got === null || got === canonicalJson(JSON.parse(text));
      }),
      { seed: 20261202, numRuns: 5000 },
    );
  });

  it('takes the common value (ASCII keys, small integers, any strings) without declining', () => {
    const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,11}$/);
    const common = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.string({ unit: 'grapheme' }), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
    })).object;
    // Keys that sort the same by length-then-bytes as by UTF-16 units: all of one length, as in most audit metadata.
    const sameLength = fc.dictionary(fc.stringMatching(/^[a-z]{4}$/), fc.oneof(fc.integer(), fc.string()), { maxKeys: 6 });
    fc.assert(
      fc.property(sameLength, (v) => fast(jsonbText(v)) === canonicalJson(v)),
      { seed: 20261202, numRuns: 1000 },
    );
    fc.assert(
      fc.property(common, (v) => {
        const text = jsonbText(v);
        const got = fast(text);
        return got === null || got === canonicalJson(v);
      }),
      { seed: 20261202, numRuns: 1000 },
    );
    expect(fast('{"path": "/docs/1", "size": 42, "tags": ["a", "b"]}')).toBe('{"path":"/docs/1","size":42,"tags":["a","b"]}');
    expect(fast('{"a": {"b": [1, {"c": null}], "x": "quote \\" and \\\\ and \\n"}, "z": []}')).toBe('{"a":{"b":[1,{"c":null}],"x":"quote \\" and \\\\ and \\n"},"z":[]}');
  });

  it('declines what it cannot print the same: keys out of UTF-16 order, escaped or non-ASCII keys, other numbers', () => {
    // jsonb puts the shorter key first; RFC 8785 puts "bb" before "c".
    expect(fast('{"c": 1, "bb": 2}')).toBeNull();
    expect(fast('{"é": 1}')).toBeNull();
    expect(fast('{"a\\"b": 1}')).toBeNull();
    for (const n of ['1.50', '1e21', '0.0000001', '1000000000000000000000', '-0', '01', '1234567890123456']) expect(fast(`{"n": ${n}}`)).toBeNull();
    expect(fast('{"a": 1,"b": 2}')).toBeNull();
    expect(fast('{"a": tru}')).toBeNull();
    expect(fast('{"a": "open')).toBeNull();
  });
});
