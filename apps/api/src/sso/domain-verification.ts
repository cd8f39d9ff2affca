import { Resolver } from 'node:dns/promises';
import { randomToken } from '../auth/secrets';

/**
 * Proving an email domain: the account publishes a TXT record we name, with a
 * value only it was shown. Found → the domain routes to its single sign-on.
 */
export const TXT_LABEL = '_audit-trail-verification';

export function newVerificationToken(): string {
  return randomToken(24);
}

export function txtRecord(domain: string, token: string): { name: string; value: string } {
  return { name: `${TXT_LABEL}.${domain}`, value: `audit-trail-verification=${token}` };
}

/** Not found and no such record are both "nothing there"; anything else (timeouts, refused) throws. */
const ABSENT = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/** The TXT strings at a name (each record's parts joined), from `servers` (`ip` or `ip:port`) or the system's resolver. */
export async function lookupTxt(name: string, servers: string[] | undefined, timeoutMs = 3000): Promise<string[]> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers?.length) resolver.setServers(servers);
  try {
    return (await resolver.resolveTxt(name)).map((parts) => parts.join(''));
  } catch (err) {
    if (ABSENT.has((err as NodeJS.ErrnoException).code ?? '')) return [];
    throw err;
  }
}

export function parseDnsServers(value: string | undefined): string[] | undefined {
  const list = value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list?.length ? list : undefined;
}
