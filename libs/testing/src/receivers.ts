import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { call } from './http';
import type { ApiUnderTest, Tenant } from './tenants';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  url: string;
}

/**
 * A real HTTP receiver on 127.0.0.1, for forwarding tests. `answer` decides
 * each request's status (or 'hang' to never answer). Close every receiver a
 * test made with closeReceivers().
 */
export async function receiver(servers: Server[], answer: (n: number, r: Received) => number | 'hang' = () => 200) {
  const requests: Received[] = [];
  const accepted: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '' };
      requests.push(r);
      const status = answer(requests.length, r);
      if (status === 'hang') return;
      if (status >= 200 && status < 300) accepted.push(r);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: true }));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, accepted, server };
}

export function closeReceivers(servers: Server[]): void {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
}

/** Poll `fn` until `ok` holds; the deadline throws with the last value. */
export async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Ingest n events with distinct, increasing times: their ids sort in the order sent. */
export async function ingestOrdered(t: ApiUnderTest, x: Tenant, n: number, action = 'document.update', extra: Record<string, unknown> = {}): Promise<string[]> {
  const base = Date.now() - n - 1000;
  const events = Array.from({ length: n }, (_, i) => ({ action, occurred_at: new Date(base + i).toISOString(), actor: { type: 'user', id: `u_${i}` }, metadata: { i }, ...extra }));
  const res = await call(t.url, 'POST', '/v1/events', { key: x.key, body: { events } });
  if (res.status !== 202) throw new Error(`ingest ${res.status} ${res.text}`);
  return res.body.ids;
}

/** Ids of the events a webhook received, leaving out the platform's own destination.* events (they are forwarded too). */
export const webhookIds = (rs: Received[]) =>
  rs.flatMap((r) => (JSON.parse(r.body) as { events: { id: string; action: string }[] }).events.filter((e) => !e.action.startsWith('destination.')).map((e) => e.id));

/** This test's own events among those received, in arrival order (duplicates kept): other events of the log may be forwarded too. */
export const ours = (rs: Received[], ids: string[]) => {
  const set = new Set(ids);
  return webhookIds(rs).filter((id) => set.has(id));
};

export async function createDestination(t: ApiUnderTest, x: Tenant, body: Record<string, unknown>) {
  const res = await call(t.url, 'POST', '/v1/destinations', { key: x.key, body });
  if (res.status !== 201) throw new Error(`destination ${res.status} ${res.text}`);
  return res.body as { id: string; secret?: string };
}
