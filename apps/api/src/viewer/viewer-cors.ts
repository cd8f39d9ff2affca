import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCode } from '../common/errors';
import { problemOf } from '../common/problem';

export const VIEWER_PATH = '/v1/viewer/';

/**
 * Browsers ask before sending a token cross-origin (a CORS preflight). The
 * preflight carries no token, so it is answered for any origin: whether the
 * answer itself may be read is decided per request by the token's own list
 * of origins (the access guard). No other route answers cross-origin.
 */
export function registerViewerPreflight(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    if (req.method !== 'OPTIONS' || !req.url.startsWith(VIEWER_PATH)) return done();
    const origin = req.headers.origin;
    if (typeof origin !== 'string') return done();
    void reply
      .code(204)
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-methods', 'GET')
      .header('access-control-allow-headers', 'authorization')
      .header('access-control-max-age', '600')
      .header('vary', 'Origin')
      .send();
  });
}

/**
 * GET /viewer.js: the embeddable <audit-trail-viewer>, so a tenant's page can
 * embed the viewer with one script tag and no build step. Public code, so
 * any origin may load it (a cross-origin module script needs CORS).
 */
export function registerViewerScript(fastify: FastifyInstance, viewerDist: string): void {
  const file = resolve(viewerDist, 'element.js');
  const body = existsSync(file) ? readFileSync(file) : null;
  fastify.get('/viewer.js', (_req, reply) => {
    if (!body) {
      return reply
        .code(404)
        .type('application/problem+json')
        .send(problemOf(ErrorCode.NotFound, 'The viewer has not been built on this server: run node scripts/build-viewer.mjs.'));
    }
    return reply
      .type('text/javascript; charset=utf-8')
      .header('access-control-allow-origin', '*')
      .header('cache-control', 'public, max-age=300')
      .send(body);
  });
}
