import type { OutgoingRequest } from '@audit-trail/audit-core';
import ipaddr from 'ipaddr.js';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

/** Address ranges a destination may not reach unless FORWARDING_ALLOW_PRIVATE is set. */
const BLOCKED = new Set(['private', 'loopback', 'linkLocal', 'uniqueLocal', 'unspecified', 'broadcast', 'carrierGradeNat', 'reserved', 'multicast']);

export class BlockedAddressError extends Error {}

/**
 * Which private or loopback addresses a call may reach: none (`false`), any
 * (`true`, development and tests), or only the listed `host:port` pairs (an
 * operator's own collector, or the demo's local receiver).
 */
export type PrivateAccess = boolean | readonly string[];

/** `host:port` of a URL as an allow-list names it: lower case, no IPv6 brackets, the scheme's port when none is given. */
export function hostPort(u: URL): string {
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.hostname.replace(/^\[|\]$/g, '').toLowerCase()}:${port}`;
}

/** May a request to this URL reach a private or loopback address? */
export function privateAllowed(access: PrivateAccess, u: URL): boolean {
  if (typeof access === 'boolean') return access;
  const target = hostPort(u);
  return access.some((entry) => entry.trim().toLowerCase().replace(/^\[|\](?=:)/g, '') === target);
}

export function isBlockedAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let a = ipaddr.parse(address);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  return BLOCKED.has(a.range());
}

/** dns.lookup that refuses private, loopback and link-local answers: checked at connect time, so no rebinding gap. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return ((hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses;
      const bad = allowPrivate ? undefined : list.find((a) => isBlockedAddress(a.address));
      if (bad) return callback(new BlockedAddressError(`${hostname} resolves to ${bad.address}, a private or loopback address; destinations must be public`), '');
      if ((options as { all?: boolean }).all) return callback(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  });
}

/** Is a URL acceptable as a destination (scheme, and for IP literals the address)? A reason when not. */
export async function checkDestinationUrl(url: string, access: PrivateAccess): Promise<string | null> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an http:// or https:// URL';
  if (u.username || u.password) return 'must not carry credentials; use the secret or token field';
  if (privateAllowed(access, u)) return null;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) return isBlockedAddress(host) ? 'must not point at a private, loopback or link-local address' : null;
  return new Promise((resolve) => {
    dnsLookup(host, { all: true }, (err, addrs) => {
      if (err) return resolve(`does not resolve (${err.message})`);
      resolve(addrs.some((a) => isBlockedAddress(a.address)) ? 'resolves to a private, loopback or link-local address' : null);
    });
  });
}

export interface HttpResult {
  status: number | null;
  body: string;
  latencyMs: number;
  error: string | null;
}

/** One POST with a hard timeout; never throws. */
export function post(req: OutgoingRequest, opts: { allowPrivate: PrivateAccess; timeoutMs: number }): Promise<HttpResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(req.url);
    } catch {
      resolve({ status: null, body: '', latencyMs: 0, error: 'invalid URL' });
      return;
    }
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const done = (r: Omit<HttpResult, 'latencyMs'>) => resolve({ ...r, latencyMs: Math.round(performance.now() - started) });
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const allowPrivate = privateAllowed(opts.allowPrivate, u);
    if (!allowPrivate && ipaddr.isValid(host) && isBlockedAddress(host)) {
      done({ status: null, body: '', error: `${host} is a private or loopback address; destinations must be public` });
      return;
    }
    const r = send(
      u,
      { method: 'POST', headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) }, lookup: guardedLookup(allowPrivate), timeout: opts.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => done({ status: res.statusCode ?? null, body: Buffer.concat(chunks).toString('utf8').slice(0, 4096), error: null }));
        res.on('error', (err) => done({ status: res.statusCode ?? null, body: '', error: err.message }));
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    r.on('error', (err) => done({ status: null, body: '', error: err.message }));
    r.end(req.body);
  });
}

export interface GuardedFetchInit {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string | URLSearchParams | Uint8Array | null;
  signal?: AbortSignal | null;
}

/**
 * A `fetch` for calls to addresses a tenant typed in (an identity provider's
 * discovery, token and key endpoints): the same address rules as forwarding,
 * checked at connect time; no redirects followed; a hard timeout; at most
 * `maxBytes` of answer.
 */
export function guardedFetch(opts: { allowPrivate: boolean; timeoutMs: number; maxBytes?: number }) {
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  return (input: string | URL, init: GuardedFetchInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const u = new URL(String(input));
      if (u.protocol !== 'https:' && u.protocol !== 'http:') return reject(new TypeError(`${u.protocol} URLs are not fetched`));
      const host = u.hostname.replace(/^\[|\]$/g, '');
      if (!opts.allowPrivate && ipaddr.isValid(host) && isBlockedAddress(host)) {
        return reject(new BlockedAddressError(`${host} is a private or loopback address; identity providers must be public`));
      }
      const headers: Record<string, string> = init.headers instanceof Headers ? Object.fromEntries(init.headers.entries()) : { ...(init.headers ?? {}) };
      const body = init.body == null ? undefined : init.body instanceof URLSearchParams ? init.body.toString() : init.body;
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
      const r = send(u, { method: init.method ?? 'GET', headers, lookup: guardedLookup(opts.allowPrivate), timeout: opts.timeoutMs, signal: init.signal ?? undefined }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) res.destroy(new Error(`the answer is larger than ${maxBytes} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 502;
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolve(new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: h }));
        });
        res.on('error', reject);
      });
      r.on('timeout', () => r.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
      r.on('error', reject);
      r.end(body);
    });
}
