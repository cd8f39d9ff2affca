import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a download link carries: whose file, which, until when, and who asked for the link. */
export interface DownloadClaims {
  accountId: string;
  exportId: string;
  expires: number;
  actorType: 'user' | 'api_key';
  actorId: string;
}

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`export-download.${payload}`).digest('base64url');
}

export function issueDownloadToken(secret: string, c: DownloadClaims): string {
  const payload = Buffer.from(JSON.stringify([c.accountId, c.exportId, c.expires, c.actorType, c.actorId])).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

/** The claims of a genuine, unexpired token for this export; null otherwise. */
export function readDownloadToken(secret: string, token: string, exportId: string, nowSec: number): DownloadClaims | null {
  const [payload, sig, extra] = token.split('.');
  if (!payload || !sig || extra !== undefined) return null;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parts) || parts.length !== 5) return null;
  const [accountId, id, expires, actorType, actorId] = parts as [string, string, number, 'user' | 'api_key', string];
  if (id !== exportId || typeof expires !== 'number' || expires < nowSec) return null;
  return { accountId, exportId: id, expires, actorType, actorId };
}
