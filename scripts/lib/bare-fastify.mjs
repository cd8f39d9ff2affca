#!/usr/bin/env node
// The benchmark's HTTP baseline: a bare Fastify route that does what any
// ingest endpoint must (read and parse the JSON body, answer 202 with an id)
// and nothing else. `npm run bench` drives it with the same wrk load as the
// real single-event ingest, so the ratio shows what our own path costs.
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';

const app = Fastify({ logger: false });
app.post('/v1/events', async (req, reply) => {
  if (typeof req.body !== 'object' || req.body === null) return reply.code(400).send({ error: 'not JSON' });
  return reply.code(202).send({ ids: [randomUUID()] });
});
await app.listen({ port: Number(process.env.PORT ?? 3499), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
