import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, forwardingPrivateAccess } from '@audit-trail/config';
import { BlockedAddressError, guardedFetch, privateAllowed } from './safe-http';

// The fetch single sign-on uses for addresses a tenant typed in. Refusals are
// decided before any socket opens: by the address literal, or by the lookup
// hook on what the name resolves to.
describe('guardedFetch', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/big') return res.end('x'.repeat(5000));
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.writeHead(201, { 'content-type': 'application/json', 'x-seen': req.method ?? '' }).end(JSON.stringify({ body, type: req.headers['content-type'] ?? null })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses loopback and private addresses, by literal and by what a name resolves to', async () => {
    const strict = guardedFetch({ allowPrivate: false, timeoutMs: 2000 });
    await expect(strict(`${base}/x`)).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(strict('http://10.0.0.1/x')).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(strict('http://[::1]/x')).rejects.toBeInstanceOf(BlockedAddressError);
    // `localhost` resolves to loopback: the lookup hook refuses it before a connection is made.
    await expect(strict(`http://localhost:${new URL(base).port}/x`)).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(strict('file:///etc/passwd')).rejects.toThrow(/not fetched/);
  });

  it('answers a Response (status, headers, body) where private addresses are allowed, and caps its size', async () => {
    const open = guardedFetch({ allowPrivate: true, timeoutMs: 2000, maxBytes: 1000 });
    const res = await open(`${base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ a: '1', b: 'two' }) });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-seen')).toBe('POST');
    expect(await res.json()).toEqual({ body: 'a=1&b=two', type: 'application/x-www-form-urlencoded' });
    await expect(open(`${base}/big`)).rejects.toThrow(/larger than 1000 bytes/);
  });
});

// FORWARDING_ALLOW_HOSTS: an operator names the private collectors a destination may use, host and port exactly.
describe('privateAllowed', () => {
  const env = { DATABASE_URL: 'postgres://x@127.0.0.1/x', FORWARDING_ALLOW_HOSTS: ' 127.0.0.1:3002, siem.internal:443,[::1]:8080 ' };
  const access = forwardingPrivateAccess(loadConfig(env));
  it.each([
    ['http://127.0.0.1:3002/audit', true],
    ['http://127.0.0.1:3003/', false],
    ['https://SIEM.internal/events', true],
    ['http://siem.internal/events', false],
    ['http://[::1]:8080/', true],
    ['http://10.0.0.1:3002/', false],
  ])('%s → %s', (url, allowed) => {
    expect(privateAllowed(access, new URL(url))).toBe(allowed);
  });
  it('lets FORWARDING_ALLOW_PRIVATE open everything, and refuses a malformed list at start', () => {
    expect(forwardingPrivateAccess(loadConfig({ ...env, FORWARDING_ALLOW_PRIVATE: 'true' }))).toBe(true);
    expect(() => loadConfig({ ...env, FORWARDING_ALLOW_HOSTS: '127.0.0.1' })).toThrow(/FORWARDING_ALLOW_HOSTS/);
  });
});
