import 'reflect-metadata';
import { ConfigError, loadConfig } from '@audit-trail/config';
import Redis from 'ioredis';
import { createApp } from './app.factory';

async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2000, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  if (!(await redisAnswers(config.REDIS_URL))) {
    console.error(
      `Redis does not answer at ${config.REDIS_URL}.\n` +
        'Start one, e.g.: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --maxmemory-policy noeviction\n' +
        'or set REDIS_URL to a running Redis.',
    );
    process.exit(3);
  }
  const app = await createApp(config);
  try {
    await app.listen(config.PORT, config.HOST);
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE') {
      console.error(`Port ${config.PORT} is already in use: set PORT to a free port.`);
      process.exit(4);
    }
    throw err;
  }
  app.getHttpAdapter().getInstance().log.info({ port: config.PORT }, 'audit-trail api listening');
}

void main();
