import type { DefaultJobOptions } from 'bullmq';

/**
 * Every queue, job name, payload type and retry policy in one place.
 * Payloads carry ids only: never secrets, never personal data.
 */
export const QUEUES = {
  maintenance: 'maintenance',
} as const;

export const JOBS = {
  /** Create the coming months' audit_events partitions ahead of time. */
  ensurePartitions: 'ensure-partitions',
} as const;

export interface EnsurePartitionsPayload {
  /** How many months ahead of now must exist. */
  monthsAhead: number;
}

export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** Redis key the worker refreshes while it is alive (the API's readiness shows it). */
export const WORKER_HEARTBEAT_KEY = 'audit-trail:worker:heartbeat';
