/** Value stored in place of anything under a key that looks secret, or a secret found inside a value. */
export const REDACTED = '[REDACTED]';

// Keys are compared lower-cased with every non-alphanumeric removed, so
// `api-key`, `API_KEY` and `apiKey` all read `apikey`.

/** A key that contains one of these is secret (`db_password`, `clientSecret`, `x-api-key`). */
const SECRET_PARTS = [
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
  'sessionkey',
  'bearer',
  'jwt',
  'creditcard',
  'cardnumber',
  'socialsecurity',
];

/** Short words that are secret only as the whole key, or as its last word (`webhook_signature`). */
const SECRET_WORDS = new Set(['pass', 'pwd', 'pin', 'otp', 'auth', 'session', 'signature', 'sig', 'ssn', 'cvv', 'cvc']);

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (SECRET_PARTS.some((m) => k.includes(m))) return true;
  if (SECRET_WORDS.has(k)) return true;
  const w = words(key);
  return w.length > 1 && SECRET_WORDS.has(w[w.length - 1]);
}

// Secrets inside values.
/** `postgres://user:hunter2@host`: the password of a URL's user info. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):([^\s@/?#]+)@/gi;
/** `password=…`, `api_key: …`, `token="…"`: a secret-named key and its value. */
const KEY_VALUE = /\b([a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)[a-z0-9_.-]*)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,"']+)/gi;
/** `Bearer abc…`, `Basic dXNlcjpw…`. */
const AUTH_SCHEME = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9\-._~+/]{8,}=*/g;
/** A JSON Web Token. */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
/** 13 to 19 digits, optionally grouped by spaces or dashes, starting like a card number (2–6). */
const CARD = /\b[2-6](?:[ -]?\d){12,18}\b/g;
/** Cheap first test: most strings contain none of these and skip the rest. */
const SUSPECT = /:\/\/|[=:]|bearer|basic|token|eyJ|\d{4}/i;

/** Luhn checksum of a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** The string with secrets found inside it replaced: URL passwords, secret `key=value` pairs, bearer tokens, JWTs, card numbers. */
export function redactText(s: string): string {
  if (s.length < 8 || !SUSPECT.test(s)) return s;
  return s
    .replace(URL_PASSWORD, `$1:${REDACTED}@`)
    .replace(KEY_VALUE, `$1$2${REDACTED}`)
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(CARD, (m) => {
      const digits = m.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? REDACTED : m;
    });
}

/**
 * A copy of `value` with every secret-looking key's value replaced and
 * secrets inside string values masked. Iterative, so depth never matters.
 */
export function redact(value: unknown): unknown {
  const root: { v: unknown } = { v: undefined };
  const stack: [unknown, Record<string, unknown> | unknown[], string | number][] = [[value, root, 'v']];
  while (stack.length > 0) {
    const [v, parent, key] = stack.pop() as [unknown, Record<string | number, unknown>, string | number];
    if (typeof v === 'string') {
      parent[key] = redactText(v);
    } else if (Array.isArray(v)) {
      const out: unknown[] = new Array(v.length);
      parent[key] = out;
      for (let i = 0; i < v.length; i++) stack.push([v[i], out, i]);
    } else if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      parent[key] = out;
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        if (isSecretKey(k)) out[k] = REDACTED;
        else {
          out[k] = undefined; // keep the key order of the input
          stack.push([child, out, k]);
        }
      }
    } else {
      parent[key] = v;
    }
  }
  return root.v;
}
