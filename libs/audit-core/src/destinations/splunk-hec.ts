import { defineDestinationType } from './spec';

/** Splunk's HTTP Event Collector: newline-separated events, `Authorization: Splunk <token>`. */
export const splunkHec = defineDestinationType({
  type: 'splunk_hec',
  label: 'Splunk HEC',
  exampleUrl: 'https://splunk.example.com:8088',
  takesFormat: true,
  batchLimit: 100,
  credential: { field: 'token', label: 'HEC token', required: true },
  buildRequest({ url, events, items, secrets, headers }) {
    headers.authorization = `Splunk ${secrets[0] ?? ''}`;
    const target = /\/services\/collector(\/event)?\/?$/.test(url) ? url : `${url.replace(/\/+$/, '')}/services/collector/event`;
    const body = events.map((e, i) => JSON.stringify({ time: Date.parse(e.occurred_at) / 1000, source: 'audit-trail', sourcetype: '_json', event: items[i] })).join('\n');
    return { url: target, headers, body };
  },
});
