#!/usr/bin/env node
// A complete tour of @audit-trail/sdk against a running Audit Trail:
//   AUDIT_TRAIL_URL=http://127.0.0.1:3000 AUDIT_TRAIL_KEY=atk_... node quickstart.mjs
// (`npm start` prints both.) It sends events three ways, reads them back,
// follows the change feed, exports, and mints a viewer token.
import { AuditTrail, AuditTrailError, ViewerClient } from '@audit-trail/sdk';

const baseUrl = process.env.AUDIT_TRAIL_URL ?? 'http://127.0.0.1:3000';
const apiKey = process.env.AUDIT_TRAIL_KEY;
if (!apiKey) {
  console.error('Set AUDIT_TRAIL_KEY to an API key with the events:write, events:read, exports:write and admin scopes.');
  process.exit(2);
}
const at = new AuditTrail({ apiKey, baseUrl });
const run = `example${Date.now().toString(36)}`;
const actor = { type: 'user', id: 'u_42', email: 'alice@example.com', name: 'Alice' };

// 1. One event; resolves once it is committed.
const { ids } = await at.events.send({
  action: 'document.update',
  actor,
  target: { type: 'document', id: `${run}_doc`, name: 'Roadmap' },
  context: { ip: '203.0.113.42' },
  changes: { before: { title: 'Draft' }, after: { title: 'Roadmap' } },
  metadata: { run },
});
console.log(`sent 1 event: ${ids[0]}`);

// 2. Many at once, split into requests of at most 1,000 events / 1 MiB.
const batch = Array.from({ length: 20 }, (_, i) => ({ action: 'document.viewed', actor, target: { type: 'document', id: `${run}_doc` }, metadata: { run, i } }));
console.log(`sent a batch of ${(await at.events.sendBatch(batch)).ids.length} events`);

// 3. Fire and forget from a hot path: queued, batched in the background, flushed before exit.
const n = Number(process.env.EXAMPLE_EVENTS ?? 5000);
const started = performance.now();
for (let i = 0; i < n; i++) await at.events.enqueue({ action: 'api.request', actor, metadata: { run, i } });
const { sent } = await at.flush();
const seconds = (performance.now() - started) / 1000;
console.log(`queued and flushed ${sent} events in ${seconds.toFixed(2)} s (${Math.round(sent / seconds)} events/s)`);

// Read back: every entry of this run's document, newest first, following cursors.
let count = 0;
for await (const e of at.events.list({ target_id: `${run}_doc` }, { pageSize: 10 })) count += e ? 1 : 0;
console.log(`listed ${count} entries about ${run}_doc`);

// The change feed: the account log in commit order. Store feed.position to resume later.
const feed = at.events.feed({ limit: 500 });
let fed = 0;
for await (const e of feed) if (e.metadata?.run === run) fed++;
console.log(`the feed handed out ${fed} entries of this run; resume from position ${feed.position?.slice(0, 16)}…`);

// An export of this run's document, waited for.
const x = await at.exports.create({ format: 'ndjson', target_id: `${run}_doc` });
const done = await at.exports.waitFor(x.id, { intervalMs: 500 });
console.log(`export completed: ${done.row_count} rows, ${done.bytes} bytes, ${done.download_url ? 'download_url ready' : 'no link'}`);

// A viewer token: one of your customers reads only this document's history (mint it on your server).
const { token, expires_at } = await at.viewerTokens.create({ viewer: { id: 'customer_7', email: 'carol@customer.example' }, filter: { target_id: `${run}_doc` }, ttl_seconds: 600 });
const page = await new ViewerClient({ token, baseUrl }).page();
console.log(`viewer token (until ${expires_at}) reads ${page.entries.length} entries`);

// Errors are typed and carry the API's problem+json.
try {
  await at.events.send({ action: 'Not An Action', actor });
} catch (err) {
  if (!(err instanceof AuditTrailError)) throw err;
  console.log(`refused as expected: ${err.status} ${err.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
}
