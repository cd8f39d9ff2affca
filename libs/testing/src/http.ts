export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  key?: string;
  session?: Session;
  csrf?: boolean;
}

export interface Session {
  cookie: string;
  csrf: string;
}

/** One HTTP call to the API, the body parsed when it is JSON. */
export async function call<T = any>(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Res<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.session) {
    headers.cookie = opts.session.cookie;
    if (opts.csrf !== false && method !== 'GET') headers['x-csrf-token'] = opts.session.csrf;
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T, headers: res.headers, text };
}

/** The session cookie and CSRF token a sign-in or sign-up answered with. */
export function sessionFrom(res: Res): Session {
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]);
  return { cookie: cookies.join('; '), csrf: (res.body as { csrf_token: string }).csrf_token };
}
