/**
 * Keyset cursors: the (occurred_at, id) of the last row of a page, encoded
 * as opaque base64url. Decoding validates the shape so a mangled cursor is a
 * clear 400 rather than a database error.
 */
export interface CursorPosition {
  occurredAt: string;
  id: string;
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function toBase64Url(s: string): string {
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  return atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
}

export function encodeCursor(pos: CursorPosition): string {
  return toBase64Url(`v1|${pos.occurredAt}|${pos.id}`);
}

export function decodeCursor(cursor: string): CursorPosition | null {
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  let raw: string;
  try {
    raw = fromBase64Url(cursor);
  } catch {
    return null;
  }
  const parts = raw.split('|');
  if (parts.length !== 3 || parts[0] !== 'v1') return null;
  const [, occurredAt, id] = parts;
  if (!ISO_RE.test(occurredAt) || Number.isNaN(Date.parse(occurredAt)) || !ID_RE.test(id)) return null;
  return { occurredAt, id };
}

/**
 * A position in one log's commit order (the change feed): the storing
 * transaction and the event id, opaque base64url like the page cursors.
 */
export interface FeedPosition {
  txid: string;
  id: string;
}

export function encodeFeedPosition(pos: FeedPosition): string {
  return toBase64Url(`f1|${pos.txid}|${pos.id}`);
}

export function decodeFeedPosition(position: string): FeedPosition | null {
  if (position.length > 200 || !/^[A-Za-z0-9_-]+$/.test(position)) return null;
  let raw: string;
  try {
    raw = fromBase64Url(position);
  } catch {
    return null;
  }
  const parts = raw.split('|');
  if (parts.length !== 3 || parts[0] !== 'f1') return null;
  const [, txid, id] = parts;
  if (!/^\d{1,19}$/.test(txid) || !ID_RE.test(id)) return null;
  return { txid, id };
}
