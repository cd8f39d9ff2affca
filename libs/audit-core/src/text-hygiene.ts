/**
 * Checks that keep input PostgreSQL would refuse (or store altered) out of
 * the system: NUL characters, lone UTF-16 surrogates, numbers JSON cannot
 * carry, and nesting deep enough to overflow a recursive walk. Everything
 * here is iterative, so a body nested a million levels deep is answered in
 * linear time without touching the stack.
 */
import { type FieldError, formatPath } from './problem';

/** How deep any request body may nest; per-field limits (metadata: 8) are tighter. */
export const MAX_BODY_DEPTH = 32;

/** Why a string cannot be stored as it is, or null when it can. */
export function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000), which cannot be stored';
  if (!s.isWellFormed()) return 'contains a lone surrogate: not valid Unicode';
  return null;
}

/** Where (`events[3].metadata.plan`) and what, as in the API's field errors. */
export type JsonProblem = FieldError;

interface Frame {
  value: unknown;
  depth: number;
  /** How this value was reached; the path is built only when a problem is found. */
  parent: Frame | null;
  key: string | number | null;
}

function pathOf(f: Frame, last?: string): string {
  const segments: (string | number)[] = last === undefined ? [] : [last];
  for (let at: Frame | null = f; at && at.key !== null; at = at.parent) segments.push(at.key);
  return formatPath(segments.reverse());
}

/**
 * The first problem in a parsed JSON value, walking it without recursion:
 * a string (value or key) that is not storable text, a number that is not
 * finite (JSON `1e400` parses to Infinity and would be stored as null), or
 * nesting deeper than `maxDepth` (a scalar is depth 0, `{}` is 1). Every
 * ingest body goes through this: no path is built unless something is wrong.
 */
export function findJsonProblem(root: unknown, maxDepth = MAX_BODY_DEPTH): JsonProblem | null {
  const stack: Frame[] = [{ value: root, depth: 0, parent: null, key: null }];
  while (stack.length > 0) {
    const f = stack.pop() as Frame;
    const { value, depth } = f;
    if (typeof value === 'string') {
      const why = textProblem(value);
      if (why) return { path: pathOf(f), message: why };
      continue;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return { path: pathOf(f), message: 'is a number too large to store' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > maxDepth) return { path: pathOf(f), message: `is nested deeper than ${maxDepth} levels` };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], depth: depth + 1, parent: f, key: i });
      continue;
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i];
      const why = textProblem(k);
      if (why) return { path: pathOf(f, k), message: `key ${why}` };
      stack.push({ value: (value as Record<string, unknown>)[k], depth: depth + 1, parent: f, key: k });
    }
  }
  return null;
}

/** Depth of a JSON value without recursion: a scalar is 0, `{}` is 1, `{"a":{}}` is 2. */
export function jsonDepth(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (value === null || typeof value !== 'object') continue;
    const d = depth + 1;
    if (d > max) max = d;
    for (const v of Object.values(value as Record<string, unknown>)) stack.push([v, d]);
  }
  return max;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode bytes as UTF-8, or null when they are not valid UTF-8 (never replaced with U+FFFD). */
export function decodeUtf8Strict(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Check a raw query string (`a=1&b=%00`): every name and value must be
 * percent-encoded UTF-8 without NUL. Returns the first problem with the
 * parameter's name as its path.
 */
export function findQueryProblem(rawQuery: string): JsonProblem | null {
  if (!rawQuery) return null;
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      return { path: rawName.slice(0, 64), message: 'parameter name is not valid percent-encoded UTF-8' };
    }
    try {
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      return { path: name, message: 'is not valid percent-encoded UTF-8' };
    }
    const nameWhy = textProblem(name);
    if (nameWhy) return { path: formatPath([name]), message: `parameter name ${nameWhy}` };
    const why = textProblem(value);
    if (why) return { path: name, message: why };
  }
  return null;
}
