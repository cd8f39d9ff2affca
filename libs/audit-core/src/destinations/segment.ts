import { defineDestinationType } from './spec';

/** Segment's HTTP Tracking API: one `track` call per event, in its batch endpoint. */
export const segment = defineDestinationType({
  type: 'segment',
  label: 'Segment',
  defaultUrl: 'https://api.segment.io/v1/batch',
  exampleUrl: 'https://api.segment.io/v1/batch',
  takesFormat: true,
  batchLimit: 100,
  credential: { field: 'write_key', label: 'Write key', required: true },
  buildRequest({ url, events, items, secrets, headers, replay }) {
    headers.authorization = `Basic ${btoa(`${secrets[0] ?? ''}:`)}`;
    const batch = events.map((e, i) => ({
      type: 'track',
      event: e.action,
      messageId: e.id,
      ...(e.actor_id || e.actor_email ? { userId: e.actor_id ?? e.actor_email } : { anonymousId: e.actor_type }),
      timestamp: e.occurred_at,
      properties: items[i],
      context: { ip: e.ip ?? undefined, userAgent: e.user_agent ?? undefined, library: { name: 'audit-trail' } },
    }));
    return { url, headers, body: JSON.stringify({ batch, context: { replay } }) };
  },
});
