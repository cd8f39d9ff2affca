import type { FastifyInstance } from 'fastify';

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
