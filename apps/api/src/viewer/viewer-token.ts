import { VIEWER_TOKEN_PREFIX, type ViewerClaims, viewerSliceSchema } from '@audit-trail/audit-core';
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Viewer tokens are signed, not stored: `atv_<claims>.<HMAC-SHA256>`, keyed
 * with the API's session secret under its own label, so no other token the
 * API signs can pass for one. They live at most an hour and cannot be
 * revoked one by one; the account's plan is checked on every read.
 */
function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`viewer-token.${payload}`).digest('base64url');
}

export function issueViewerToken(secret: string, c: ViewerClaims): string {
  const payload = Buffer.from(JSON.stringify({ a: c.accountId, w: c.workspaceId, s: c.slice, v: c.viewer, o: c.origins, e: c.expires, i: c.issuer })).toString('base64url');
  return `${VIEWER_TOKEN_PREFIX}${payload}.${sign(secret, payload)}`;
}

/** The claims of a genuine, unexpired token; null for anything else. */
export function readViewerToken(secret: string, token: string, nowSec: number): ViewerClaims | null {
  if (!token.startsWith(VIEWER_TOKEN_PREFIX) || token.length > 8192) return null;
  const [payload, sig, extra] = token.slice(VIEWER_TOKEN_PREFIX.length).split('.');
  if (!payload || !sig || extra !== undefined) return null;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let raw: { a?: unknown; w?: unknown; s?: unknown; v?: { id?: unknown; email?: unknown }; o?: unknown; e?: unknown; i?: unknown };
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof raw;
  } catch {
    return null;
  }
  const slice = viewerSliceSchema.safeParse(raw.s);
  if (typeof raw.a !== 'string' || (raw.w !== null && typeof raw.w !== 'string') || !slice.success || typeof raw.v?.id !== 'string') return null;
  if (!Array.isArray(raw.o) || typeof raw.e !== 'number' || typeof raw.i !== 'string') return null;
  if (raw.e < nowSec) return null;
  return {
    accountId: raw.a,
    workspaceId: raw.w,
    slice: slice.data,
    viewer: { id: raw.v.id, ...(typeof raw.v.email === 'string' ? { email: raw.v.email } : {}) },
    origins: raw.o.filter((x): x is string => typeof x === 'string'),
    expires: raw.e,
    issuer: raw.i,
  };
}
