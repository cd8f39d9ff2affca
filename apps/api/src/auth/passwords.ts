import { hash, verify } from '@node-rs/argon2';

// Argon2id with OWASP's baseline parameters (19 MiB, 2 passes).
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
let dummy: Promise<string> | null = null;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (stored === null || !stored.startsWith('$argon2')) {
    // Unknown user, or a login with no password yet (provisioned by SCIM):
    // spend the same time so the answer does not tell who exists.
    dummy ??= hash('not-a-real-password', OPTIONS);
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}
