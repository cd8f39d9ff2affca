import { ConnectionError, errorFor, type Problem } from './errors.js';

export interface RetryPolicy {
  /** Attempts after the first (default 5). */
  maxRetries: number;
  /** First backoff, doubled each time, with full jitter (default 250 ms). */
  baseDelayMs: number;
  /** Longest single wait (default 20 s); a longer Retry-After is still honoured. */
  maxDelayMs: number;
}

export interface HttpOptions {
  baseUrl: string;
  /** `Authorization: Bearer …`: an API key, or a viewer token for the viewer's routes. */
  credential: string;
  fetch: typeof fetch;
  retry: RetryPolicy;
  timeoutMs: number;
  userAgent?: string;
}

/** The HTTP options of a client: the credential, the fetch to use, and the retry policy over its defaults. */
export function httpOptions(o: { baseUrl: string; fetch?: typeof fetch; retry?: Partial<RetryPolicy>; timeoutMs?: number }, credential: string, defaults: RetryPolicy): HttpOptions {
  const f = o.fetch ?? globalThis.fetch;
  return { baseUrl: o.baseUrl, credential, fetch: f.bind(globalThis), retry: { ...defaults, ...o.retry }, timeoutMs: o.timeoutMs ?? 30_000 };
}

export type Query = Record<string, string | number | boolean | readonly (string | number)[] | null | undefined>;

/** 429, 503 and the gateway errors are worth another try; so is a failed connection. */
const RETRY_STATUS = new Set([429, 502, 503, 504]);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
  });

/** Seconds or an HTTP date, as milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Exponential backoff with full jitter: a random wait up to base·2^attempt, capped. */
export function backoffMs(attempt: number, p: RetryPolicy, random = Math.random): number {
  return Math.round(random() * Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** attempt));
}

export function queryString(q: Query | undefined): string {
  if (!q) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v as readonly (string | number)[]) params.append(k, String(x));
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * One JSON call with retries. Every request the SDK makes is safe to repeat:
 * events carry idempotency keys from before their first attempt.
 */
export async function request<T>(o: HttpOptions, method: string, path: string, init: { query?: Query; body?: unknown; rawBody?: string; signal?: AbortSignal } = {}): Promise<T> {
  const url = `${o.baseUrl.replace(/\/+$/, '')}${path}${queryString(init.query)}`;
  const headers: Record<string, string> = { authorization: `Bearer ${o.credential}`, accept: 'application/json' };
  if (init.body !== undefined || init.rawBody !== undefined) headers['content-type'] = 'application/json';
  if (o.userAgent) headers['user-agent'] = o.userAgent;
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= o.retry.maxRetries;
    let res: Response;
    try {
      const signals = [AbortSignal.timeout(o.timeoutMs), ...(init.signal ? [init.signal] : [])];
      res = await o.fetch(url, { method, headers, body, signal: AbortSignal.any(signals) });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      if (last) throw new ConnectionError(`${method} ${path}: the API could not be reached (${(err as Error).message})`, err);
      await sleep(backoffMs(attempt, o.retry), init.signal);
      continue;
    }
    if (res.ok) {
      if (res.status === 204) return undefined as T;
      return (await res.json()) as T;
    }
    if (RETRY_STATUS.has(res.status) && !last) {
      const after = retryAfterMs(res.headers.get('retry-after'));
      await res.body?.cancel();
      await sleep(after !== null ? after + backoffMs(0, o.retry) : backoffMs(attempt, o.retry), init.signal);
      continue;
    }
    const text = await res.text();
    let problem: Problem;
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      problem = { type: 'about:blank', title: res.statusText || 'Error', status: res.status, detail: text.slice(0, 500) };
    }
    throw errorFor(res.status, problem, res.headers.get('x-request-id'));
  }
}
