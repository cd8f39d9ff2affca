import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@audit-trail/config';
import { JOBS, QUEUES, queuePrefix, workerHeartbeatKey } from '@audit-trail/queues';
import { type Queue, QueueEvents } from 'bullmq';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { WorkerModule } from '../src/worker.module';

let app: INestApplicationContext;
const prefix = `test-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  const config = loadConfig({ ...process.env, QUEUE_PREFIX: prefix });
  app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: false });
  app.enableShutdownHooks();
  await app.init();
});
afterAll(() => app.close());

it('runs the partition job from the real queue and creates the months ahead', async () => {
  const queue = app.get<Queue>(getQueueToken(QUEUES.maintenance));
  const events = new QueueEvents(QUEUES.maintenance, { connection: { host: '127.0.0.1', port: 6379 }, prefix: queuePrefix(prefix, QUEUES.maintenance) });
  await events.waitUntilReady();
  const job = await queue.add(JOBS.ensurePartitions, { monthsAhead: 6 });
  const result = (await job.waitUntilFinished(events, 15_000)) as { created: string[] };
  await events.close();
  expect(result.created).toHaveLength(7);
  const c = new Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  const { rows } = await c.query('SELECT name FROM audit_partitions()');
  await c.end();
  const names = rows.map((r) => r.name);
  for (const n of result.created) expect(names).toContain(n);
  const sixAhead = new Date();
  sixAhead.setUTCDate(1);
  sixAhead.setUTCMonth(sixAhead.getUTCMonth() + 6);
  expect(names).toContain(`audit_events_y${sixAhead.getUTCFullYear()}m${String(sixAhead.getUTCMonth() + 1).padStart(2, '0')}`);
});

it('keeps the daily scheduler and a heartbeat', async () => {
  const queue = app.get<Queue>(getQueueToken(QUEUES.maintenance));
  const schedulers = await queue.getJobSchedulers();
  expect(schedulers.map((s) => s.key)).toContain('ensure-partitions-daily');
  const redis = new Redis('redis://127.0.0.1:6379');
  const beat = await redis.get(workerHeartbeatKey(prefix));
  redis.disconnect();
  expect(beat).not.toBeNull();
  await queue.obliterate({ force: true });
});
