// The demo's stand-in for a customer's SIEM: a webhook receiver on loopback
// that the demo account's destination forwards to, so the console shows a
// destination with a real delivery history. It keeps only counts and the
// last few deliveries in memory, prints nothing, and answers one early
// delivery with 503 so the history shows a retry, as a real collector would
// now and then. CommonJS so both `npm start` and the Jest suite load it.
'use strict';
const { createServer } = require('node:http');

/**
 * Listen on 127.0.0.1:`port` (0 picks a free one). Resolves to
 * { url, stats(), close() }. `failRequests` lists the request numbers
 * (1-based) answered with 503.
 */
async function startDemoReceiver(port = 0, { failRequests = [3] } = {}) {
  let requests = 0;
  let events = 0;
  let lastAt = null;
  const recent = [];
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ requests, events, last_at: lastAt, recent }, null, 2));
    }
    if (req.method !== 'POST') return res.writeHead(405).end();
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= 8 * 1024 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      requests += 1;
      if (failRequests.includes(requests)) {
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' });
        return res.end('collector warming up');
      }
      let n = 0;
      try {
        n = JSON.parse(Buffer.concat(chunks).toString('utf8')).events?.length ?? 0;
      } catch {
        return res.writeHead(400).end('not JSON');
      }
      events += n;
      lastAt = new Date().toISOString();
      recent.unshift({ at: lastAt, events: n, delivery: req.headers['audit-delivery-id'] ?? null, signed: Boolean(req.headers['audit-signature']) });
      recent.length = Math.min(recent.length, 20);
      res.writeHead(200).end();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}/audit`,
    stats: () => ({ requests, events }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

module.exports = { startDemoReceiver };
