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
  const logger = new Logger('Worker');
  logger.log(`worker ready; health on http://127.0.0.1:${config.WORKER_HEALTH_PORT}/healthz`);
  const deadline = config.WORKER_SHUTDOWN_MS;
  const stop = () => {
    health.close();
    // A graceful stop waits for running jobs and for Redis to acknowledge
    // them; with Redis out of reach BullMQ would wait for ever. Past the
    // deadline the process leaves anyway: nothing is lost, because a job it
    // was running is still in Redis and goes back to its queue once its lock
    // expires (the stalled-job check), as after a crash.
    setTimeout(() => {
      let pending: string[] = [];
      try {
        pending = app.get(WorkerModule, { strict: false }).stillClosing();
      } catch {
        /* the module is already gone: nothing more to say about what is pending */
      }
      logger.error(
        `the worker did not stop within WORKER_SHUTDOWN_MS (${deadline} ms)${pending.length ? `; still waiting for ${pending.join(', ')}` : ''}. ` +
          'Exiting now: a job that was running goes back to its queue when its lock expires and runs again.',
      );
      process.exit(1);
    }, deadline).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
