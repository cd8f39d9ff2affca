import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, createLogger, loadConfig, NestLogger } from '@audit-trail/config';
import { redisStartupProblem } from '@audit-trail/queues';
import { createServer } from 'node:http';
import { WorkerModule } from './worker.module';

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
    console.error(redisProblem);
    process.exit(3);
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: new NestLogger(createLogger('audit-trail-worker', config.LOG_LEVEL, config.LOG_FORMAT)) });
  // SIGTERM/SIGINT: Nest closes the BullMQ workers (finishing the running job), then the queues, then the pool.
  app.enableShutdownHooks();
  const health = createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url === '/healthz' ? { status: 'ok' } : { status: 404 }));
  });
  health.once('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') console.error(`Port ${config.WORKER_HEALTH_PORT} is already in use: set WORKER_HEALTH_PORT to a free port.`);
    else console.error(`The worker's health endpoint could not listen: ${err.message}`);
    process.exit(4);
  });
  health.listen(config.WORKER_HEALTH_PORT, '127.0.0.1');
  new Logger('Worker').log(`worker ready; health on http://127.0.0.1:${config.WORKER_HEALTH_PORT}/healthz`);
  const stop = () => health.close();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
