import { isSecretKey, luhnValid, redact, redactText } from './redact';
import { decodeUtf8Strict, findJsonProblem, findQueryProblem, jsonDepth, textProblem } from './text-hygiene';

describe('text hygiene', () => {
  it('finds NUL and lone surrogates, and lets every other character through', () => {
    expect(textProblem('a\u0000b')).toMatch(/NUL/);
    expect(textProblem('\ud800')).toMatch(/surrogate/);
    expect(textProblem('x\udfffy')).toMatch(/surrogate/);
    expect(textProblem('e\u0301 \u{1F600} \u05E9 \u{10FFFF} \u200F')).toBeNull();
  });

  it('names the path of the first bad value or key, and non-finite numbers', () => {
    expect(findJsonProblem({ events: [{ a: 'ok' }, { b: { c: 'x\u0000' } }] })).toEqual({ path: 'events[1].b.c', message: expect.stringMatching(/NUL/) });
    expect(findJsonProblem({ m: { 'k\u0000': 1 } })?.path).toBe('m["k\\u0000"]');
    expect(findJsonProblem({ n: Infinity })?.path).toBe('n');
    expect(findJsonProblem({ fine: [1, 'two', null, true, { three: 3 }] })).toBeNull();
  });

  it('measures depth without recursion, however deep', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    expect(jsonDepth(deep)).toBe(200_000);
    expect(findJsonProblem(deep, 32)?.message).toMatch(/deeper than 32/);
    expect(jsonDepth({ a: { b: {} } })).toBe(3);
    expect(jsonDepth([])).toBe(1);
  });

  it('decodes strict UTF-8 only', () => {
    expect(decodeUtf8Strict(Buffer.from('café \u{1F600}'))).toBe('café \u{1F600}');
    expect(decodeUtf8Strict(Buffer.from([0x63, 0xe9]))).toBeNull();
    expect(decodeUtf8Strict(Buffer.from([0xed, 0xa0, 0x80]))).toBeNull(); // an encoded surrogate
  });

  it('checks query strings by parameter name', () => {
    expect(findQueryProblem('q=a%00b')?.path).toBe('q');
    expect(findQueryProblem('a=1&q=%FF')?.path).toBe('q');
    expect(findQueryProblem('q=%E2%82%AC+x&limit=5')).toBeNull();
  });
});

describe('redaction of secrets', () => {
  it('recognises the secret names security teams expect', () => {
    for (const k of ['session', 'bearer', 'pass', 'auth', 'jwt', 'signature', 'ssn', 'credit_card', 'card_number', 'cardNumber', 'webhook_signature', 'user_ssn', 'sessionToken', 'session_id', 'x-auth']) {
      expect([k, isSecretKey(k)]).toEqual([k, true]);
    }
    for (const k of ['session_count', 'author', 'passenger', 'compass', 'signature_valid', 'authority', 'card_brand', 'description']) {
      expect([k, isSecretKey(k)]).toEqual([k, false]);
    }
  });

  it('masks secrets inside values and leaves ordinary text alone', () => {
    expect(redactText('postgres://u:password@h:5432/db')).toBe('postgres://u:[REDACTED]@h:5432/db');
    expect(redactText('host=db password=hunter2 user=app')).toBe('host=db password=[REDACTED] user=app');
    expect(redactText('api_key: "sk_live_abc"')).toBe('api_key: [REDACTED]');
    expect(redactText('Authorization: Bearer abcdefgh12345678')).toContain('Bearer [REDACTED]');
    expect(redactText('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_part')).not.toContain('eyJ');
    expect(redactText('card 4242 4242 4242 4242 on file')).toBe('card [REDACTED] on file');
    expect(redactText('order 4242424242424241')).toBe('order 4242424242424241'); // fails Luhn
    expect(redactText('at 1764590000000 ms')).toBe('at 1764590000000 ms');
    expect(redactText('Updated the SMTP host to smtp.mailgun.org at 14:22')).toBe('Updated the SMTP host to smtp.mailgun.org at 14:22');
    expect(luhnValid('4242424242424242')).toBe(true);
  });

  it('redacts keys and values at any depth, keeping key order', () => {
    const out = redact({ z: 1, dsn: 'mysql://root:toor@db/x', list: [{ password: 'p', note: 'pwd=abc123 ok' }] }) as Record<string, unknown>;
    expect(out).toEqual({ z: 1, dsn: 'mysql://root:[REDACTED]@db/x', list: [{ password: '[REDACTED]', note: 'pwd=[REDACTED] ok' }] });
    expect(Object.keys(out)).toEqual(['z', 'dsn', 'list']);
  });
});
