import type { FieldError } from '@audit-trail/audit-core';

/** Every way a request can fail on purpose. The problem filter maps each to HTTP. */
export enum ErrorCode {
  Malformed = 'malformed',
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  Csrf = 'csrf',
  PlanLimit = 'plan-limit',
  NotFound = 'not-found',
  Conflict = 'conflict',
  PayloadTooLarge = 'payload-too-large',
  UnsupportedMediaType = 'unsupported-media-type',
  Validation = 'validation',
  RateLimited = 'rate-limited',
  Unavailable = 'unavailable',
  /** The password was right; a second factor (totp or recovery_code) is needed. */
  MfaRequired = 'mfa-required',
  /** The account requires two-factor and this person has not set it up yet. */
  MfaSetupRequired = 'mfa-setup-required',
  /** The account requires single sign-on and this person is not an owner with a second factor. */
  SsoRequired = 'sso-required',
}

export const ERROR_STATUS: Record<ErrorCode, { status: number; title: string }> = {
  [ErrorCode.Malformed]: { status: 400, title: 'Malformed request' },
  [ErrorCode.Unauthenticated]: { status: 401, title: 'Authentication required' },
  [ErrorCode.Forbidden]: { status: 403, title: 'Not allowed' },
  [ErrorCode.Csrf]: { status: 403, title: 'CSRF token missing or wrong' },
  [ErrorCode.PlanLimit]: { status: 403, title: 'Not included in your plan' },
  [ErrorCode.NotFound]: { status: 404, title: 'Not found' },
  [ErrorCode.Conflict]: { status: 409, title: 'Conflict' },
  [ErrorCode.PayloadTooLarge]: { status: 413, title: 'Request body too large' },
  [ErrorCode.UnsupportedMediaType]: { status: 415, title: 'Unsupported content type' },
  [ErrorCode.Validation]: { status: 422, title: 'Validation failed' },
  [ErrorCode.RateLimited]: { status: 429, title: 'Too many requests' },
  [ErrorCode.Unavailable]: { status: 503, title: 'Service unavailable' },
  [ErrorCode.MfaRequired]: { status: 401, title: 'Second factor required' },
  [ErrorCode.MfaSetupRequired]: { status: 403, title: 'Two-factor set-up required' },
  [ErrorCode.SsoRequired]: { status: 403, title: 'Single sign-on required' },
};

export const PROBLEM_BASE = 'https://audit-trail.dev/problems/';

/** A domain error: a code from the closed set, a sentence for people, optional field errors. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
  }
}

export const notFound = (what: string) => new AppError(ErrorCode.NotFound, `${what} was not found.`);
export const forbidden = (why: string) => new AppError(ErrorCode.Forbidden, why);

/** Answer exactly like a route that does not exist (unlicensed features, operator routes without the token). */
export class RouteHiddenError extends Error {}
