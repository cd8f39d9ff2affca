/** Value stored in place of anything under a key that looks secret. */
export const REDACTED = '[REDACTED]';

// Compared against the key lower-cased with every non-alphanumeric removed,
// so `api-key`, `API_KEY` and `apiKey` all match `apikey`.
const SECRET_MARKERS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'authorization',
  'cookie',
  'credential',
  'privatekey',
  'accesskey',
  'sessionid',
  'cvv',
];

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (k === 'pwd' || k === 'pin' || k === 'otp') return true;
  return SECRET_MARKERS.some((m) => k.includes(m));
}

/** A copy of `value` with every secret-looking key's value replaced. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = isSecretKey(k) ? REDACTED : redact(v);
    }
    return out;
  }
  return value;
}

/** Depth of a JSON value: a scalar is 0, `{}` is 1, `{"a":{}}` is 2. */
export function jsonDepth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let max = 0;
  for (const v of Object.values(value as Record<string, unknown>)) {
    const d = jsonDepth(v);
    if (d > max) max = d;
  }
  return max + 1;
}
