import { issuesToFieldErrors } from '@audit-trail/audit-core';
import type { z } from 'zod';
import { AppError, ErrorCode } from './errors';

/** Parse a JSON body: 422 with field paths when it does not fit, 400 when it is not an object. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError(ErrorCode.Malformed, 'The request body must be a JSON object.');
  }
  const r = schema.safeParse(body);
  if (!r.success) throw new AppError(ErrorCode.Validation, 'The request body is not valid.', issuesToFieldErrors(r.error.issues));
  return r.data;
}

/** Parse query parameters: 400 with field paths. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const r = schema.safeParse(query ?? {});
  if (!r.success) throw new AppError(ErrorCode.Malformed, 'The query parameters are not valid.', issuesToFieldErrors(r.error.issues));
  return r.data;
}
