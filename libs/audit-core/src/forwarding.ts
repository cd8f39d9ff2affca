import { OCSF_CLASSES, ocsfMappingOf } from './ocsf';
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { ApiEvent } from './normalize';

/**
 * Forwarding, the pure part: destination types and formats, the filter a
 * destination applies, each receiver's request shape, and the webhook
 * signature. The worker sends; this decides what is sent.
 */
export const DESTINATION_TYPES = ['webhook', 'segment', 'splunk_hec', 'datadog', 'slack'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];
export const DESTINATION_FORMATS = ['native', 'ocsf', 'cloudevents'] as const;
export type DestinationFormat = (typeof DESTINATION_FORMATS)[number];

/** Most events one request may carry, per receiver (Datadog's intake takes 1,000; Slack gets one message each). */
export const BATCH_LIMIT: Record<DestinationType, number> = { webhook: 100, segment: 100, splunk_hec: 100, datadog: 1000, slack: 1 };

/** Where a receiver listens when the destination names no URL. */
export const DEFAULT_URL: Partial<Record<DestinationType, string>> = {
  segment: 'https://api.segment.io/v1/batch',
  datadog: 'https://http-intake.logs.datadoghq.com/api/v2/logs',
};

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

/** One line a person reads in Slack. */
export function slackText(e: ApiEvent): string {
  const who = e.actor_email ?? e.actor_name ?? e.actor_id ?? e.actor_type;
  const what = e.target_name ?? e.target_id;
  const where = e.ip ? ` from ${e.ip}` : '';
  const failed = e.outcome !== 'success' ? ` (${e.outcome})` : '';
  return `*${e.action}*${failed} by ${who}${what ? ` on ${e.target_type ?? 'target'} ${what}` : ''}${where} at ${e.occurred_at}`;
}

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface DestinationSecrets {
  /** webhook: current signing secret, then the previous one while rotating; others: the token or write key. */
  secrets: string[];
}

/** The HTTP request that carries `events` to a receiver of this type. */
export function buildRequest(
  type: DestinationType,
  url: string,
  format: DestinationFormat,
  events: ApiEvent[],
  secrets: string[],
  opts: { deliveryId: string; now?: number; replay?: boolean; test?: boolean },
): OutgoingRequest {
  const items = events.map((e) => formatEvent(e, format));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'AuditTrail-Forwarder/1.0' };
  const now = opts.now ?? Date.now();
  switch (type) {
    case 'webhook': {
      // CloudEvents go in their batch mode (a JSON array); the other formats in {"events": [...]}.
      const body = format === 'cloudevents' ? JSON.stringify(items) : JSON.stringify({ events: items });
      if (format === 'cloudevents') headers['content-type'] = 'application/cloudevents-batch+json';
      headers['audit-signature'] = signatureHeader(secrets, Math.floor(now / 1000), body);
      headers['audit-delivery-id'] = opts.deliveryId;
      if (opts.replay) headers['audit-replay'] = 'true';
      if (opts.test) headers['audit-test'] = 'true';
      return { url, headers, body };
    }
    case 'segment': {
      headers.authorization = `Basic ${Buffer.from(`${secrets[0] ?? ''}:`).toString('base64')}`;
      const batch = events.map((e, i) => ({
        type: 'track',
        event: e.action,
        messageId: e.id,
        ...(e.actor_id || e.actor_email ? { userId: e.actor_id ?? e.actor_email } : { anonymousId: e.actor_type }),
        timestamp: e.occurred_at,
        properties: items[i],
        context: { ip: e.ip ?? undefined, userAgent: e.user_agent ?? undefined, library: { name: 'audit-trail' } },
      }));
      return { url, headers, body: JSON.stringify({ batch, context: { replay: opts.replay ?? false } }) };
    }
    case 'splunk_hec': {
      headers.authorization = `Splunk ${secrets[0] ?? ''}`;
      const target = /\/services\/collector(\/event)?\/?$/.test(url) ? url : `${url.replace(/\/+$/, '')}/services/collector/event`;
      const body = events.map((e, i) => JSON.stringify({ time: Date.parse(e.occurred_at) / 1000, source: 'audit-trail', sourcetype: '_json', event: items[i] })).join('\n');
      return { url: target, headers, body };
    }
    case 'datadog': {
      headers['dd-api-key'] = secrets[0] ?? '';
      const body = JSON.stringify(
        events.map((e, i) => ({
          ddsource: 'audit-trail',
          service: 'audit-trail',
          ddtags: `category:${e.category},outcome:${e.outcome}${opts.replay ? ',replay:true' : ''}`,
          message: JSON.stringify(items[i]),
          timestamp: Date.parse(e.occurred_at),
        })),
      );
      return { url, headers, body };
    }
    case 'slack':
      return { url, headers, body: JSON.stringify({ text: events.map(slackText).join('\n') }) };
  }
}
