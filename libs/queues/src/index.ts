import type { DefaultJobOptions } from 'bullmq';

/**
 * Every queue, job name, payload type and retry policy in one place.
 * Payloads carry ids only: never secrets, never personal data.
 */
export const QUEUES = {
  maintenance: 'maintenance',
  exports: 'exports',
  retention: 'retention',
  forwarding: 'forwarding',
  integrity: 'integrity',
} as const;

export const JOBS = {
  /** Create the coming months' audit_events partitions ahead of time. */
  ensurePartitions: 'ensure-partitions',
  /** Delete expired export files; re-enqueue exports whose job was lost. */
  sweepExports: 'sweep-exports',
  /** Write one export file. */
  runExport: 'run-export',
  /** Purge events past each account's retention (daily, or now for an operator). */
  runRetention: 'run-retention',
  /** Enqueue a delivery for every destination (and replay) that is due. */
  forwardingTick: 'forwarding-tick',
  /** Deliver the next batches of one destination, or one replay. */
  deliver: 'deliver',
  /** Seal new events of every log with integrity proofs, and write due checkpoints. */
  seal: 'seal',
} as const;

export interface DeliverPayload {
  destinationId: string;
  accountId: string;
  replayId?: string;
}

/** One delivery job per destination (or replay) at a time: a second add while one waits or runs is a no-op. */
export const deliverJobId = (p: DeliverPayload) => (p.replayId ? `replay-${p.replayId}` : `deliver-${p.destinationId}`);

/** Job scheduler ids (upserted at worker start; the API reads their next run). */
export const SCHEDULERS = {
  retention: 'retention-daily',
  forwarding: 'forwarding-tick',
  integrity: 'integrity-seal',
  partitions: 'ensure-partitions-daily',
  exportSweep: 'sweep-exports',
} as const;

/** The settings the schedules depend on (a subset of the app's config). */
export interface ScheduleSettings {
  /** Cron in UTC, or 'off'. */
  RETENTION_CRON: string;
  INTEGRITY_ENABLED: boolean;
  INTEGRITY_SEAL_MS: number;
  FORWARDING_ENABLED: boolean;
  FORWARDING_TICK_MS: number;
}

export interface Schedule {
  queue: (typeof QUEUES)[keyof typeof QUEUES];
  id: (typeof SCHEDULERS)[keyof typeof SCHEDULERS];
  /** Absent: the schedule must not exist (it is removed). */
  repeat: { pattern: string; tz: 'UTC' } | { every: number } | null;
  job: { name: (typeof JOBS)[keyof typeof JOBS]; data: object; opts?: { removeOnComplete?: boolean; removeOnFail?: boolean } };
}

/**
 * Every recurring job, declared here; the worker makes the queues match this
 * list at start and on every heartbeat (a flushed Redis loses schedules).
 */
export function schedules(s: ScheduleSettings): Schedule[] {
  const quiet = { removeOnComplete: true, removeOnFail: true };
  return [
    { queue: QUEUES.maintenance, id: SCHEDULERS.partitions, repeat: { pattern: '17 3 * * *', tz: 'UTC' }, job: { name: JOBS.ensurePartitions, data: { monthsAhead: 3 } } },
    { queue: QUEUES.maintenance, id: SCHEDULERS.exportSweep, repeat: { every: 15 * 60_000 }, job: { name: JOBS.sweepExports, data: {} } },
    { queue: QUEUES.retention, id: SCHEDULERS.retention, repeat: s.RETENTION_CRON === 'off' ? null : { pattern: s.RETENTION_CRON, tz: 'UTC' }, job: { name: JOBS.runRetention, data: {} } },
    { queue: QUEUES.integrity, id: SCHEDULERS.integrity, repeat: s.INTEGRITY_ENABLED ? { every: s.INTEGRITY_SEAL_MS } : null, job: { name: JOBS.seal, data: {}, opts: quiet } },
    { queue: QUEUES.forwarding, id: SCHEDULERS.forwarding, repeat: s.FORWARDING_ENABLED ? { every: s.FORWARDING_TICK_MS } : null, job: { name: JOBS.forwardingTick, data: {}, opts: quiet } },
  ];
}

export interface RunRetentionPayload {
  /** Only these accounts; absent = every account. */
  accountIds?: string[];
}

export interface RunExportPayload {
  exportId: string;
  accountId: string;
}

/** Deterministic: enqueueing the same export twice is one job. */
export const exportJobId = (exportId: string) => `export-${exportId}`;

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

/**
 * Redis key the worker refreshes while it is alive (the API looks for it
 * before it asks for a retention run), under the deployment's QUEUE_PREFIX:
 * two deployments sharing one Redis must not take each other's worker for
 * their own.
 */
export function workerHeartbeatKey(prefix: string): string {
  return `${prefix}:worker:heartbeat`;
}

export * from './redis';
