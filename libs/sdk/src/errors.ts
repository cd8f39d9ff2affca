/** An RFC 9457 problem, as every Audit Trail error answers. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Field errors, e.g. `{ path: "events[3].action", message: "…" }`. */
  errors?: { path: string; message: string }[];
  [extra: string]: unknown;
}

/** The API answered with an error; `problem` is its problem+json body. */
export class AuditTrailError extends Error {
  override readonly name: string = 'AuditTrailError';
  readonly status: number;
  readonly problem: Problem;
  /** The `x-request-id` of the answer: quote it when asking for help. */
  readonly requestId: string | null;

  constructor(status: number, problem: Problem, requestId: string | null) {
    super(`${problem.title} (${status}): ${problem.detail}`);
    this.status = status;
    this.problem = problem;
    this.requestId = requestId;
  }

  get type(): string {
    return this.problem.type;
  }
  get detail(): string {
    return this.problem.detail;
  }
  get errors(): { path: string; message: string }[] {
    return this.problem.errors ?? [];
  }
}

/** 400 or 422: the request itself is wrong; sending it again will not help. */
export class ValidationError extends AuditTrailError {
  override readonly name = 'ValidationError';
}
/** 401: the API key (or viewer token) is missing, wrong, revoked or expired. */
export class AuthenticationError extends AuditTrailError {
  override readonly name = 'AuthenticationError';
}
/** 403: the key lacks a scope, or the plan does not include this. */
export class PermissionError extends AuditTrailError {
  override readonly name = 'PermissionError';
}
/** 404: no such thing in this account (or the plan hides the feature). */
export class NotFoundError extends AuditTrailError {
  override readonly name = 'NotFoundError';
}
/** 409 */
export class ConflictError extends AuditTrailError {
  override readonly name = 'ConflictError';
}
/** 429, after every retry. */
export class RateLimitError extends AuditTrailError {
  override readonly name = 'RateLimitError';
}
/** 5xx, after every retry: the API or one of its dependencies is down. */
export class UnavailableError extends AuditTrailError {
  override readonly name = 'UnavailableError';
}

/** The API could not be reached (or did not answer in time), after every retry. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** A batch stopped part way: the events of `sentIds` are stored, the rest are not. */
export class PartialBatchError extends Error {
  override readonly name = 'PartialBatchError';
  constructor(
    /** Ids of the events stored before the failure, in order. */
    readonly sentIds: string[],
    /** How many events were not stored. */
    readonly unsent: number,
    override readonly cause: AuditTrailError | ConnectionError,
  ) {
    super(`${sentIds.length} events were stored, then ${unsent} were not: ${cause.message}`);
  }
}

/** flush() found events that background sending could not store; they are in `failures`, to send again or keep. */
export class FlushError extends Error {
  override readonly name = 'FlushError';
  constructor(readonly failures: { error: AuditTrailError | ConnectionError; events: unknown[] }[]) {
    super(`${failures.reduce((n, f) => n + f.events.length, 0)} queued events could not be stored: ${failures[0]?.error.message ?? ''}`);
  }
}

export function errorFor(status: number, problem: Problem, requestId: string | null): AuditTrailError {
  if (status === 400 || status === 422 || status === 413 || status === 415) return new ValidationError(status, problem, requestId);
  if (status === 401) return new AuthenticationError(status, problem, requestId);
  if (status === 403) return new PermissionError(status, problem, requestId);
  if (status === 404) return new NotFoundError(status, problem, requestId);
  if (status === 409) return new ConflictError(status, problem, requestId);
  if (status === 429) return new RateLimitError(status, problem, requestId);
  if (status >= 500) return new UnavailableError(status, problem, requestId);
  return new AuditTrailError(status, problem, requestId);
}
