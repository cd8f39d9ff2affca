import { defineDestinationType } from './spec';

/** Datadog's log intake (v2): a JSON array of log entries, up to 1,000 per request. */
export const datadog = defineDestinationType({
  type: 'datadog',
  label: 'Datadog',
  defaultUrl: 'https://http-intake.logs.datadoghq.com/api/v2/logs',
  exampleUrl: 'https://http-intake.logs.datadoghq.com/api/v2/logs',
  takesFormat: true,
  batchLimit: 1000,
  credential: { field: 'token', label: 'API key', required: true },
  buildRequest({ url, events, items, secrets, headers, replay }) {
    headers['dd-api-key'] = secrets[0] ?? '';
    const body = JSON.stringify(
      events.map((e, i) => ({
        ddsource: 'audit-trail',
        service: 'audit-trail',
        ddtags: `category:${e.category},outcome:${e.outcome}${replay ? ',replay:true' : ''}`,
        message: JSON.stringify(items[i]),
        timestamp: Date.parse(e.occurred_at),
      })),
    );
    return { url, headers, body };
  },
});
