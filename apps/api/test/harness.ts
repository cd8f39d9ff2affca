import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@audit-trail/config';
import type { ApiUnderTest } from '@audit-trail/testing';
import { createApp } from '../src/app.factory';

export * from '@audit-trail/testing';

export interface TestApp extends ApiUnderTest {
  app: NestFastifyApplication;
}

/** Boot the real API (same factory as production) in this process, on a free loopback port. */
export async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ ...process.env, ...env, PORT: '0' });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const addr = app.getHttpServer().address() as { port: number };
  return { app, config, url: `http://127.0.0.1:${addr.port}`, close: () => app.close() };
}
