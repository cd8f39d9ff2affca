import { generateSecret, generateURI, verify } from 'otplib';
import { randomBytes } from 'node:crypto';
import { sha256 } from './secrets';

/** RFC 6238 codes: 30-second steps, 6 digits, SHA-1 (what every authenticator app reads). */
export const TOTP_ISSUER = 'Audit Trail';
export const RECOVERY_CODES = 10;

export function newTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, email: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: email, secret });
}

/**
 * The time step a code belongs to when it is right for `secret` within one
 * step either side (clock drift) and later than `afterStep` (no code twice);
 * null otherwise.
 */
export async function checkTotp(secret: string, code: string, afterStep: number | null): Promise<number | null> {
  const result = await verify({ secret, token: code, epochTolerance: 30, ...(afterStep !== null ? { afterTimeStep: afterStep } : {}) });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** Ten codes like `k7q2-9xwm-ht4p`, shown once; stored as SHA-256 of the normalised code. */
export function newRecoveryCodes(): string[] {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  return Array.from({ length: RECOVERY_CODES }, () => {
    const bytes = randomBytes(12);
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}

export function recoveryCodeHash(code: string): Buffer {
  return sha256(`recovery:${code.toLowerCase().replace(/[^a-z0-9]/g, '')}`);
}
