import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@audit-trail/config';
import { WorkerModule } from '../src/worker.module';

/** The real worker (BullMQ processors, schedules, pools) in this process, with the test's environment on top. */
export async function startWorkerContext(env: Record<string, string>): Promise<INestApplicationContext> {
  const worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(loadConfig({ ...process.env, ...env })), { logger: false });
  await worker.init();
  return worker;
}
