import type { FieldError } from '@audit-trail/audit-core';
import { isConnectionError, DatabaseUnavailableError } from '@audit-trail/data';
import { EventDataRejectedError } from '@audit-trail/engines';
import { AppError, ERROR_STATUS, ErrorCode, PROBLEM_BASE, RouteHiddenError } from './errors';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export interface ProblemResponse {
  problem: Problem;
  headers?: Record<string, string>;
}

export function problemOf(code: ErrorCode, detail: string, errors?: FieldError[]): Problem {
  const { status, title } = ERROR_STATUS[code];
  const p: Problem = { type: PROBLEM_BASE + code, title, status, detail };
  if (errors) p.errors = errors;
  return p;
}

/** The 404 of a route that does not exist. Unlicensed features answer exactly this. */
export function routeNotFound(method: string, url: string): Problem {
  const path = url.split('?')[0];
  return problemOf(ErrorCode.NotFound, `No route matches ${method} ${path}.`);
}

/** Fastify's own body-handling errors. */
const FASTIFY_CODES: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [ErrorCode.PayloadTooLarge, 'The request body is larger than 1 MiB.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [ErrorCode.UnsupportedMediaType, 'Send JSON with Content-Type: application/json.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [ErrorCode.Malformed, 'The Content-Length header does not match the body.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [ErrorCode.Malformed, 'The request body is empty; send a JSON document.'],
};

interface HttpishError {
  statusCode?: number;
  status?: number;
  code?: string;
  message?: string;
  getStatus?: () => number;
  getResponse?: () => unknown;
}

/**
 * Any thrown value as problem details. Domain errors map by code; framework
 * errors (body parsing, content type, size) by their status; a database that
 * cannot be reached is 503; anything else is a 500 that tells nothing inside.
 */
export function toProblem(err: unknown, method: string, url: string): ProblemResponse & { unexpected?: boolean } {
  if (err instanceof RouteHiddenError) return { problem: routeNotFound(method, url) };
  if (err instanceof AppError) return { problem: problemOf(err.code, err.detail, err.errors), headers: err.headers };
  if (err instanceof EventDataRejectedError) {
    return { problem: problemOf(ErrorCode.Validation, 'The events hold data that cannot be stored; nothing of this request was stored.') };
  }
  if (err instanceof DatabaseUnavailableError || isConnectionError(err)) {
    return { problem: problemOf(ErrorCode.Unavailable, 'The database is unavailable; try again shortly.'), headers: { 'retry-after': '5' } };
  }
  const e = (err ?? {}) as HttpishError;
  if (e.code === 'ECONNREFUSED' || /Redis|MaxRetriesPerRequest|enableOfflineQueue|Cluster(AllFailed| isn't ready)|CLUSTERDOWN|TRYAGAIN/i.test(e.message ?? '')) {
    return { problem: problemOf(ErrorCode.Unavailable, 'A dependency is unavailable; try again shortly.'), headers: { 'retry-after': '5' } };
  }
  const status = e.getStatus?.() ?? e.statusCode ?? e.status;
  const byCode = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (byCode) return { problem: problemOf(byCode[0], byCode[1]) };
  if (status === 404) return { problem: routeNotFound(method, url) };
  if (status === 400 || (err instanceof SyntaxError && /JSON/i.test(err.message))) {
    return { problem: problemOf(ErrorCode.Malformed, `The request body is not valid JSON: ${e.message ?? 'parse error'}`) };
  }
  if (status === 413) return { problem: problemOf(ErrorCode.PayloadTooLarge, 'The request body is larger than 1 MiB.') };
  if (status === 415) return { problem: problemOf(ErrorCode.UnsupportedMediaType, 'Send JSON with Content-Type: application/json.') };
  // The rate limiter has already set Retry-After.
  if (status === 429) return { problem: problemOf(ErrorCode.RateLimited, 'Too many attempts; wait for the time in Retry-After and try again.') };
  if (status && status >= 400 && status < 500) {
    return { problem: { type: PROBLEM_BASE + 'http-' + status, title: e.message ?? 'Request refused', status, detail: e.message ?? 'Request refused' } };
  }
  return {
    unexpected: true,
    problem: { type: PROBLEM_BASE + 'internal', title: 'Internal error', status: 500, detail: 'Something went wrong on our side; it has been logged.' },
  };
}
