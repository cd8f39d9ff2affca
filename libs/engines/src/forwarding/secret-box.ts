import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (destination credentials, TOTP secrets): AES-256-GCM under
 * a key derived (HKDF) from SESSION_SECRET for one purpose, so a value sealed
 * for one use cannot be opened as another. `v1.` + base64url(iv | tag | data).
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(masterSecret: string, purpose = 'destination-secrets/v1') {
    this.key = Buffer.from(hkdfSync('sha256', masterSecret, 'audit-trail', purpose, 32));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `v1.${Buffer.concat([iv, c.getAuthTag(), data]).toString('base64url')}`;
  }

  open(sealed: string): string {
    if (!sealed.startsWith('v1.')) throw new Error('unknown secret format');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  }
}
