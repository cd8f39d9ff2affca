export { AuditTrail, type AuditTrailOptions, type Feed } from './client.js';
export { ViewerClient } from './viewer.js';
export { verifyWebhook } from './webhooks.js';
export { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, splitBatches } from './batch.js';
export type { RetryPolicy } from './http.js';
export {
  AuditTrailError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  FlushError,
  NotFoundError,
  PartialBatchError,
  PermissionError,
  type Problem,
  RateLimitError,
  UnavailableError,
  ValidationError,
} from './errors.js';
export type * from './types.js';
