import { OCSF_CLASSES, ocsfMappingOf } from './ocsf';
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { ApiEvent } from './normalize';
import { DESTINATION_SPECS, type DestinationFormat, type DestinationType, destinationSpec, type OutgoingRequest } from './destinations';

/**
 * Forwarding, the pure part: destination types and formats, the filter a
 * destination applies, each receiver's request shape, and the webhook
 * signature. The worker sends; this decides what is sent.
 */
export {
  type CredentialField,
  DESTINATION_FORMATS,
  DESTINATION_SPECS,
  DESTINATION_TYPES,
  defineDestinationType,
  destinationSpec,
  type DestinationFormat,
  type DestinationType,
  type DestinationTypeSpec,
  type OutgoingRequest,
  type RequestContext,
  slackText,
} from './destinations';

/** Most events one request may carry, per receiver (from each type's spec). */
export const BATCH_LIMIT = Object.fromEntries(DESTINATION_SPECS.map((s) => [s.type, s.batchLimit])) as Record<DestinationType, number>;

/** Where a receiver listens when the destination names no URL (from each type's spec). */
export const DEFAULT_URL = Object.fromEntries(DESTINATION_SPECS.flatMap((s) => (s.defaultUrl ? [[s.type, s.defaultUrl]] : []))) as Partial<Record<DestinationType, string>>;

const actionPattern = z.string().regex(/^[a-z0-9_.]+\*?$/, 'must be an action, optionally ending in *').max(128);
export const destinationFilterSchema = z.strictObject({
  actions: z.array(actionPattern).max(100).default([]),
  categories: z.array(z.string().min(1).max(64)).max(50).default([]),
});
export type DestinationFilter = z.infer<typeof destinationFilterSchema>;

/** Does an event pass a destination's filter? Empty lists let everything through. */
export function matchesFilter(e: Pick<ApiEvent, 'action' | 'category'>, f: DestinationFilter): boolean {
  if (f.categories.length > 0 && !f.categories.includes(e.category)) return false;
  if (f.actions.length === 0) return true;
  return f.actions.some((p) => (p.endsWith('*') ? e.action.startsWith(p.slice(0, -1)) : e.action === p));
}

/**
 * `Audit-Signature: t=<unix>,v1=<hex>`: HMAC-SHA256 over "<t>.<raw body>"
 * with each active secret (two while a secret is being rotated).
 */
export function signatureHeader(secrets: string[], timestamp: number, body: string): string {
  const sigs = secrets.map((s) => `v1=${createHmac('sha256', s).update(`${timestamp}.${body}`).digest('hex')}`);
  return [`t=${timestamp}`, ...sigs].join(',');
}

/** Check a signature header the way a receiver should (tests and the docs' example use this). */
export function verifySignature(header: string, secret: string, body: string, toleranceSec = 300, now = Date.now()): boolean {
  const parts = header.split(',');
  const t = Number(parts.find((p) => p.startsWith('t='))?.slice(2));
  if (!Number.isFinite(t) || Math.abs(now / 1000 - t) > toleranceSec) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return parts.some((p) => p === `v1=${expected}`);
}

/** OCSF 1.3: the class and activity each action really is (see ocsf.ts). */
export function toOcsf(e: ApiEvent): Record<string, unknown> {
  const m = ocsfMappingOf(e.action);
  const cls = OCSF_CLASSES[m.class_uid];
  const iam = cls.category_uid === 3;
  const failed = e.outcome !== 'success';
  const actorUser = { uid: e.actor_id, email_addr: e.actor_email, name: e.actor_name, type: e.actor_type };
  // IAM classes name the user acted upon: the target, or for a sign-in the person signing in.
  const subject = m.class_uid === 3002 ? actorUser : { uid: e.target_id, name: e.target_name, type: e.target_type };
  return {
    class_uid: m.class_uid,
    class_name: cls.name,
    category_uid: cls.category_uid,
    category_name: cls.category_name,
    activity_id: m.activity_id,
    activity_name: m.activity_name,
    type_uid: m.class_uid * 100 + m.activity_id,
    time: Date.parse(e.occurred_at),
    severity_id: 1,
    status_id: failed ? 2 : 1,
    status: failed ? 'Failure' : 'Success',
    message: e.action,
    actor: { user: actorUser },
    src_endpoint: e.ip ? { ip: e.ip } : undefined,
    http_request: e.user_agent ? { user_agent: e.user_agent } : undefined,
    api: { operation: e.action },
    ...(iam ? { user: subject } : { resources: e.target_type ? [{ uid: e.target_id, type: e.target_type, name: e.target_name }] : [] }),
    metadata: { version: '1.3.0', uid: e.id, product: { name: 'Audit Trail', vendor_name: 'Audit Trail' }, tenant_uid: e.account_id, logged_time: Date.parse(e.received_at) },
    unmapped: { category: e.category, scope: e.scope, workspace_id: e.workspace_id, metadata: e.metadata, changes: e.changes, source: e.source, api_key_id: e.api_key_id },
  };
}

/** CloudEvents 1.0, structured mode. */
export function toCloudEvent(e: ApiEvent): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: e.id,
    source: e.workspace_id ? `/accounts/${e.account_id}/workspaces/${e.workspace_id}` : `/accounts/${e.account_id}`,
    type: `dev.audit-trail.${e.action}`,
    time: e.occurred_at,
    subject: e.target_id ?? undefined,
    datacontenttype: 'application/json',
    data: e,
  };
}

export function formatEvent(e: ApiEvent, format: DestinationFormat): Record<string, unknown> {
  switch (format) {
    case 'native':
      return { ...e };
    case 'ocsf':
      return toOcsf(e);
    case 'cloudevents':
      return toCloudEvent(e);
  }
}

export interface DestinationSecrets {
  /** webhook: current signing secret, then the previous one while rotating; others: the token or write key. */
  secrets: string[];
}

/** The HTTP request that carries `events` to a receiver of this type (its spec builds it). */
export function buildRequest(
  type: DestinationType,
  url: string,
  format: DestinationFormat,
  events: ApiEvent[],
  secrets: string[],
  opts: { deliveryId: string; now?: number; replay?: boolean; test?: boolean },
): OutgoingRequest {
  const now = opts.now ?? Date.now();
  return destinationSpec(type).buildRequest({
    url,
    format,
    events,
    items: events.map((e) => formatEvent(e, format)),
    secrets,
    headers: { 'content-type': 'application/json', 'user-agent': 'AuditTrail-Forwarder/1.0' },
    now,
    deliveryId: opts.deliveryId,
    replay: opts.replay ?? false,
    test: opts.test ?? false,
    sign: (body) => signatureHeader(secrets, Math.floor(now / 1000), body),
  });
}
