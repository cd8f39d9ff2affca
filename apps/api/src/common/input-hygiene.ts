import { decodeUtf8Strict, findJsonProblem, findQueryProblem, MAX_BODY_DEPTH } from '@audit-trail/audit-core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from './errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body's bytes as received (Stripe verifies its signature over them). */
    rawBody?: Buffer;
  }
}

/**
 * The only body parser: JSON, decoded as strict UTF-8 and checked before any
 * handler sees it. Anything that is not `application/json` has no parser and
 * is 415. A JSON content type on an empty body (a DELETE from a client that
 * sets the header on every request) is no body, not an error.
 *
 * Refused here, with the field's path: bytes that are not UTF-8 (never
 * replaced with U+FFFD), NUL characters and lone surrogates in any value or
 * key, non-finite numbers, and nesting deeper than MAX_BODY_DEPTH — checked
 * without recursion, so no depth can overflow the stack.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  // SCIM clients send application/scim+json: the same JSON, the same checks.
  fastify.addContentTypeParser(['application/json', 'application/scim+json'], { parseAs: 'buffer', bodyLimit }, (req: FastifyRequest, body: Buffer, done) => {
    req.rawBody = body;
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    const text = decodeUtf8Strict(body);
    if (text === null) {
      done(new AppError(ErrorCode.Validation, 'The request body is not valid UTF-8.', [{ path: '', message: 'is not valid UTF-8' }]), undefined);
      return;
    }
    void parseJson(req, text, (err: Error | null, value?: unknown) => {
      if (err) return done(err, undefined);
      const problem = findJsonProblem(value, MAX_BODY_DEPTH);
      if (problem) return done(new AppError(ErrorCode.Validation, `The request body is not valid: ${problem.path || 'the body'} ${problem.message}.`, [problem]), undefined);
      done(null, value);
    });
  });
}

/**
 * Every query string, checked before routing: names and values must be
 * percent-encoded UTF-8 without NUL (400 naming the parameter).
 */
export function registerQueryCheck(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req, _reply, done) => done(urlProblem(req.raw.url ?? '') ?? undefined));
}

function urlProblem(url: string): AppError | null {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path.includes('%')) {
    let decoded: string | null = null;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      /* not UTF-8 */
    }
    if (decoded === null || decoded.includes('\u0000')) {
      return new AppError(ErrorCode.Malformed, 'The request path is not valid: it must be percent-encoded UTF-8 without NUL characters.');
    }
  }
  if (q < 0) return null;
  const problem = findQueryProblem(url.slice(q + 1));
  return problem ? new AppError(ErrorCode.Malformed, `The query parameter ${problem.path} ${problem.message}.`, [problem]) : null;
}

/** The one route that takes a form: a SAML identity provider POSTs its answer to the assertion consumer service. */
const SAML_ACS = /^\/v1\/sso\/saml\/[0-9a-f-]{36}\/acs(\?|$)/i;

/**
 * `application/x-www-form-urlencoded`, for the SAML assertion consumer
 * service only; on any other route it stays 415, so no JSON route can be
 * reached by a cross-site form post.
 */
export function registerSamlFormParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit }, (req: FastifyRequest, body: Buffer, done) => {
    if (!SAML_ACS.test(req.raw.url ?? '')) {
      done(new AppError(ErrorCode.UnsupportedMediaType, 'Send JSON with Content-Type: application/json.'), undefined);
      return;
    }
    const text = decodeUtf8Strict(body);
    if (text === null || text.includes('\u0000')) {
      done(new AppError(ErrorCode.Validation, 'The form is not valid UTF-8.', [{ path: '', message: 'is not valid UTF-8' }]), undefined);
      return;
    }
    const form: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(text)) if (!(k in form)) form[k] = v;
    done(null, form);
  });
}
