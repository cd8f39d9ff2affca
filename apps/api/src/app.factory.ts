import 'reflect-metadata';
import './common/async-bind';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type AppConfig, createLogger, NestLogger } from '@audit-trail/config';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type FastifyInstance, LogController } from 'fastify';
import { AppModule } from './app.module';
import { ErrorCode } from './common/errors';
import { problemOf } from './common/problem';
import { registerJsonBodyParser, registerQueryCheck, registerSamlFormParser } from './common/input-hygiene';
import { MetricsService } from './core/metrics.service';
import { ReadRouter } from './core/read-router';
import { registerViewerPreflight, registerViewerScript } from './viewer/viewer-cors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const BODY_LIMIT = 1024 * 1024;

/**
 * Overload answers early: past `max` API requests in flight, a request is
 * refused with 503 and Retry-After before it takes a database connection,
 * so the ones admitted keep their latency instead of everyone queueing for
 * the pool until timeouts (health, readiness and metrics are never refused).
 */
const SHED = new WeakSet<object>();

/**
 * Stopping (SIGTERM): the server finishes the requests it has and answers any
 * that arrive meanwhile with 503 problem+json, Retry-After and
 * `Connection: close`, so a client or load balancer goes elsewhere. (Fastify's
 * own answer while closing is a bare JSON 503; it is switched off in favour of
 * this one.)
 */
function refuseWhileClosing(fastify: FastifyInstance): void {
  let closing = false;
  const body = JSON.stringify(problemOf(ErrorCode.Unavailable, 'This API process is shutting down; retry the request.'));
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (req, reply, done) => {
    if (!closing) return done();
    SHED.add(req);
    void reply.code(503).header('retry-after', '1').header('connection', 'close').header('content-type', 'application/problem+json').send(body);
  });
}

function shedLoad(fastify: FastifyInstance, max: number): void {
  let inFlight = 0;
  const busy = JSON.stringify(problemOf(ErrorCode.Unavailable, 'The API is busy; try again shortly.'));
  fastify.addHook('onRequest', (req, reply, done) => {
    if (!req.url.startsWith('/v1/')) return done();
    if (inFlight >= max) {
      // Answered here, cheaply, and counted in metrics rather than logged one line each: a flood must not become a log flood.
      SHED.add(req);
      void reply.code(503).header('retry-after', '1').header('content-type', 'application/problem+json').send(busy);
      return;
    }
    inFlight++;
    // The response's 'close' comes after it is sent and also when the client
    // leaves first. Fastify's onResponse and onRequestAbort hooks both miss a
    // client that sent its whole body and hung up before the answer: counted
    // by them, each such request kept its slot for good, and enough of them
    // turned every later request away with 503.
    reply.raw.once('close', () => inFlight--);
    done();
  });
}

/** Build the API (without listening): main.ts and the integration tests share it. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const logger = createLogger('audit-trail-api', config.LOG_LEVEL, config.LOG_FORMAT);
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    loggerInstance: logger,
    // Our onResponse hook writes one line per request instead.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // X-Forwarded-For is believed only from the proxies TRUST_PROXY names; otherwise the socket address is the client.
    trustProxy: config.TRUST_PROXY,
    // refuseWhileClosing answers instead, in problem+json.
    return503OnClosing: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new NestLogger(logger),
    // Our own JSON parser only (input-hygiene.ts): any other content type is 415.
    bodyParser: false,
    bufferLogs: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  await app.register(fastifyCookie);
  for (const type of ['text/plain', 'application/json']) if (fastify.hasContentTypeParser(type)) fastify.removeContentTypeParser(type);
  registerJsonBodyParser(fastify, BODY_LIMIT);
  registerSamlFormParser(fastify, BODY_LIMIT);
  registerQueryCheck(fastify);

  refuseWhileClosing(fastify);
  shedLoad(fastify, config.MAX_IN_FLIGHT);
  registerViewerPreflight(fastify);

  const metrics = app.get(MetricsService);
  // Read your writes with read replicas: a principal's successful change sets its fence before the answer leaves.
  const router = app.get(ReadRouter);
  if (router.replicas) {
    fastify.addHook('onSend', async (req, reply, payload) => {
      if (req.principal && reply.statusCode < 400 && !SAFE_METHODS.has(req.method)) await router.fence(req.principal);
      return payload;
    });
  }
  fastify.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });
  fastify.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    if (SHED.has(req)) return;
    // One structured line per request that went wrong; the rest at debug.
    const line = { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) req.log.error(line, 'request failed');
    else if (reply.statusCode >= 400) req.log.info(line, 'request refused');
    else req.log.debug(line, 'request');
  });

  const swaggerDir = resolve(require.resolve('swagger-ui-dist/package.json'), '..');
  await app.register(fastifyStatic, { root: swaggerDir, prefix: '/docs/assets/', decorateReply: false, index: false });
  if (config.WEB_DIST && existsSync(join(config.WEB_DIST, 'assets'))) {
    await app.register(fastifyStatic, { root: resolve(config.WEB_DIST, 'assets'), prefix: '/assets/', decorateReply: false, index: false, maxAge: '1y', immutable: true });
  }
  registerViewerScript(fastify, config.VIEWER_DIST);
  app.enableShutdownHooks();
  return app;
}
