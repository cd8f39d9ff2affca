import 'reflect-metadata';
import { ConfigError, loadConfig } from '@audit-trail/config';
import { redisStartupProblem } from '@audit-trail/queues';
import { createApp } from './app.factory';

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
  const redisProblem = await redisStartupProblem(config.REDIS_URL);
  if (redisProblem) {
    console.error(
      `${redisProblem}\n` +
        'Start one, e.g.: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --maxmemory-policy noeviction\n' +
        'or set REDIS_URL to a running Redis (redis://, redis-cluster://h1:p1,h2:p2 or redis-sentinel://s1:p1/master).',
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
