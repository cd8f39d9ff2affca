const encoder = new TextEncoder();

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compare two strings in time that depends only on their length. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Check a webhook delivery: `Audit-Signature: t=<unix>,v1=<hex>` is
 * HMAC-SHA256(secret, "<t>.<raw body>"); during a secret rotation a header
 * carries one v1 per active secret, and any may match. The timestamp must be
 * within `toleranceSec` (default 300) of now, so a captured delivery cannot
 * be replayed later. Pass the body exactly as received (before JSON.parse).
 */
export async function verifyWebhook(rawBody: string | Uint8Array, signatureHeader: string | null | undefined, secret: string, opts: { toleranceSec?: number; now?: number } = {}): Promise<boolean> {
  if (!signatureHeader || !secret) return false;
  const parts = signatureHeader.split(',').map((p) => p.trim());
  const t = Number(parts.find((p) => p.startsWith('t='))?.slice(2));
  if (!Number.isInteger(t) || Math.abs((opts.now ?? Date.now()) / 1000 - t) > (opts.toleranceSec ?? 300)) return false;
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const prefix = encoder.encode(`${t}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  const key = await globalThis.crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const expected = `v1=${hex(await globalThis.crypto.subtle.sign('HMAC', key, message))}`;
  return parts.reduce((ok, p) => sameText(p, expected) || ok, false);
}
