import { type CheckpointBody, canonicalJson } from '@audit-trail/audit-core';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlExecutor } from '@audit-trail/data';
import { publishSigningKey } from '@audit-trail/data';

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKeyPem: string;
}

/** Key id: the first 16 bytes of SHA-256 over the public key (SPKI DER), hex. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
}

function fromPrivate(privateKey: KeyObject): SigningKey {
  const pub = createPublicKey(privateKey);
  return { keyId: keyIdOf(pub), privateKey, publicKeyPem: pub.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * The checkpoint signing key: SIGNING_KEY (an Ed25519 private key in PEM),
 * or the key in `file`, generated there on first start (mode 0600).
 */
export function loadSigningKey(signingKey: string | undefined, file: string): SigningKey {
  if (signingKey) return fromPrivate(createPrivateKey(signingKey.includes('BEGIN') ? signingKey : Buffer.from(signingKey, 'base64').toString('utf8')));
  if (!existsSync(file)) {
    // The api and the worker may start together: write a whole key beside the
    // file and link it into place, so exactly one key wins and nobody reads half of one.
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  return fromPrivate(createPrivateKey(readFileSync(file)));
}

/** Publish the key: it becomes the valid one, and every older key keeps its record with the end of its validity. */
export async function registerKey(exec: SqlExecutor, key: SigningKey): Promise<void> {
  await publishSigningKey(exec, key.keyId, key.publicKeyPem);
}

export function signCheckpoint(key: SigningKey, body: CheckpointBody): string {
  return sign(null, Buffer.from(canonicalJson(body), 'utf8'), key.privateKey).toString('base64');
}

export function verifyCheckpointSignature(publicKeyPem: string, body: CheckpointBody, signature: string): boolean {
  try {
    return verify(null, Buffer.from(canonicalJson(body), 'utf8'), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
