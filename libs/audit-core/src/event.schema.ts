import { z } from 'zod';
import { jsonDepth } from './text-hygiene';
import { normalizeIp, normalizeIpOrCidr } from './ip';
import { EVENT_SOURCES } from './normalize';

export const ACTION_RE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
export const ACTOR_TYPES = ['user', 'api_key', 'system'] as const;
/** What came of an action: ingest accepts these and a query can ask for each. */
export const OUTCOMES = ['success', 'failure'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const MAX_BATCH = 1000;
export const MAX_JSON_BYTES = 32 * 1024;
export const MAX_JSON_DEPTH = 8;
export const FUTURE_SKEW_MS = 5 * 60_000;
export const MAX_AGE_MS = 10 * 365.25 * 86_400_000;

const encoder = new TextEncoder();

/** A JSON object of bounded size and depth (metadata, changes.before/after). */
const boundedJsonObject = (label: string) =>
  z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    const bytes = encoder.encode(JSON.stringify(value)).length;
    if (bytes > MAX_JSON_BYTES) {
      ctx.addIssue({ code: 'custom', message: `${label} is ${bytes} bytes; the limit is ${MAX_JSON_BYTES}` });
    }
    if (jsonDepth(value) > MAX_JSON_DEPTH) {
      ctx.addIssue({ code: 'custom', message: `${label} is nested deeper than ${MAX_JSON_DEPTH} levels` });
    }
  });

export const ipSchema = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    const ip = normalizeIp(v);
    if (ip === null) {
      ctx.addIssue({ code: 'custom', message: 'must be a valid IPv4 or IPv6 address' });
      return z.NEVER;
    }
    return ip;
  });

export const ipOrCidrSchema = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    const ip = normalizeIpOrCidr(v);
    if (ip === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an IP address or CIDR range' });
      return z.NEVER;
    }
    return ip;
  });

export const rfc3339Schema = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 timestamp' });

export const eventInputSchema = z.strictObject({
  action: z
    .string()
    .max(128, 'must be at most 128 characters')
    .regex(ACTION_RE, 'must look like resource.verb (lower case, dot separated)'),
  occurred_at: rfc3339Schema
    .superRefine((value, ctx) => {
      const t = Date.parse(value);
      const now = Date.now();
      if (t > now + FUTURE_SKEW_MS) ctx.addIssue({ code: 'custom', message: 'is more than 5 minutes in the future' });
      if (t < now - MAX_AGE_MS) ctx.addIssue({ code: 'custom', message: 'is more than 10 years in the past' });
    })
    .optional(),
  workspace_id: z.uuid('must be a workspace id').nullable().optional(),
  actor: z.strictObject({
    type: z.enum(ACTOR_TYPES),
    id: z.string().min(1).max(256).optional(),
    email: z.string().min(3).max(320).optional(),
    name: z.string().min(1).max(256).optional(),
  }),
  target: z
    .strictObject({
      type: z.string().min(1).max(128),
      id: z.string().min(1).max(256).optional(),
      name: z.string().min(1).max(256).optional(),
    })
    .optional(),
  context: z
    .strictObject({
      ip: ipSchema.optional(),
      user_agent: z.string().max(1024).optional(),
    })
    .optional(),
  metadata: boundedJsonObject('metadata').optional(),
  changes: z
    .strictObject({
      before: boundedJsonObject('changes.before').nullable().optional(),
      after: boundedJsonObject('changes.after').nullable().optional(),
    })
    .superRefine((value, ctx) => {
      const bytes = encoder.encode(JSON.stringify(value)).length;
      if (bytes > MAX_JSON_BYTES) {
        ctx.addIssue({ code: 'custom', message: `changes is ${bytes} bytes; the limit is ${MAX_JSON_BYTES}` });
      }
    })
    .nullable()
    .optional(),
  outcome: z.enum(OUTCOMES, `must be one of ${OUTCOMES.join(', ')}`).optional(),
  idempotency_key: z.string().min(1).max(255).optional(),
});

export type EventInput = z.infer<typeof eventInputSchema>;

export const eventBatchSchema = z.strictObject({
  events: z
    .array(eventInputSchema)
    .min(1, 'must hold at least one event')
    .max(MAX_BATCH, `must hold at most ${MAX_BATCH} events`),
});

const stringList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]));

export const SCOPES = ['account', 'workspace'] as const;
export type LogScope = (typeof SCOPES)[number];

/** Filters shared by the query, exports and the console. */
export const eventFilterShape = {
  scope: z.enum(SCOPES).default('account'),
  workspace_id: z.uuid('must be a workspace id').optional(),
  from: rfc3339Schema.optional(),
  to: rfc3339Schema.optional(),
  action: stringList.pipe(z.array(z.string().min(1).max(128)).max(50)).optional(),
  category: stringList.pipe(z.array(z.string().min(1).max(64)).max(50)).optional(),
  actor_id: z.string().min(1).max(256).optional(),
  actor_email: z.string().min(1).max(320).optional(),
  ip: ipOrCidrSchema.optional(),
  target_type: z.string().min(1).max(128).optional(),
  target_id: z.string().min(1).max(256).optional(),
  outcome: z.enum(OUTCOMES, `must be one of ${OUTCOMES.join(', ')}`).optional(),
  /** Leave out one outcome (the console's `-outcome:success`). */
  outcome_not: z.enum(OUTCOMES, `must be one of ${OUTCOMES.join(', ')}`).optional(),
  q: z.string().min(1).max(200).optional(),
  /** `platform`: written by Audit Trail itself; `api`: sent over POST /v1/events. */
  source: z.enum(EVENT_SOURCES, `must be one of ${EVENT_SOURCES.join(', ')}`).optional(),
  /** The key that sent the events, or performed the administration they record. */
  api_key_id: z.uuid('must be an API key id').optional(),
};

const rangeCheck = (value: { from?: string; to?: string }, ctx: z.RefinementCtx) => {
  if (value.from && value.to && Date.parse(value.from) > Date.parse(value.to)) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after `to`' });
  }
};

export const eventQuerySchema = z
  .strictObject({
    ...eventFilterShape,
    limit: z.coerce
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(500, 'must be at most 500')
      .default(50),
    cursor: z.string().min(1).max(200).optional(),
  })
  .superRefine(rangeCheck);

export type EventQuery = z.infer<typeof eventQuerySchema>;

/** GET /v1/api-keys/{id}/activity: the query's filters over every log of the account unless `scope` narrows it. */
export const keyActivityQuerySchema = z
  .strictObject({
    ...eventFilterShape,
    scope: z.enum(SCOPES).optional(),
    limit: eventQuerySchema.shape.limit,
    cursor: z.string().min(1).max(200).optional(),
  })
  .superRefine(rangeCheck);
export type KeyActivityQuery = z.infer<typeof keyActivityQuerySchema>;

/** GET /v1/events/feed: one log in commit order, after an opaque position. */
export const eventFeedQuerySchema = z.strictObject({
  scope: eventFilterShape.scope,
  workspace_id: eventFilterShape.workspace_id,
  after: z.string().min(1).max(200).optional(),
  limit: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(100),
});
export type EventFeedQuery = z.infer<typeof eventFeedQuerySchema>;
export type EventFilter = Omit<EventQuery, 'limit' | 'cursor'>;

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;

/** POST /v1/exports: the query's filters plus a format. */
export const exportRequestSchema = z
  .strictObject({
    ...eventFilterShape,
    format: z.enum(EXPORT_FORMATS),
    gzip: z.boolean().default(false),
  })
  .superRefine(rangeCheck);

export type ExportRequest = z.infer<typeof exportRequestSchema>;

export const ACTIVITY_INTERVALS = ['hour', 'day'] as const;
export type ActivityInterval = (typeof ACTIVITY_INTERVALS)[number];
/** The most buckets one activity request may ask for (a year of days, or six weeks of hours). */
export const MAX_ACTIVITY_BUCKETS = 1_000;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** GET /v1/events/activity: the query's filters, a bucket size and the viewer's time zone. */
export const eventActivitySchema = z
  .strictObject({
    ...eventFilterShape,
    /** Bucket size; without it, hours for spans up to two days and days beyond. */
    interval: z.enum(ACTIVITY_INTERVALS).optional(),
    /** IANA zone the buckets start in (midnight of the viewer's day). */
    tz: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').default('UTC'),
  })
  .superRefine(rangeCheck);

export type EventActivityQuery = z.infer<typeof eventActivitySchema>;

/** Hours for spans up to two days, days beyond. */
export function activityInterval(from: Date, to: Date, asked?: ActivityInterval): ActivityInterval {
  return asked ?? (to.getTime() - from.getTime() <= 2 * 86_400_000 ? 'hour' : 'day');
}
