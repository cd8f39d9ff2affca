import { defineDestinationType } from './spec';

/** Any HTTPS endpoint: JSON batches signed with `Audit-Signature` (HMAC-SHA256), the receiver's own format choice. */
export const webhook = defineDestinationType({
  type: 'webhook',
  label: 'Webhook',
  exampleUrl: 'https://siem.example.com/audit',
  batchLimit: 100,
  takesFormat: true,
  credential: { field: 'secret', label: 'Signing secret', required: false, generated: true, overlap: true },
  buildRequest({ url, format, items, headers, deliveryId, replay, test, sign }) {
    // CloudEvents go in their batch mode (a JSON array); the other formats in {"events": [...]}.
    const body = format === 'cloudevents' ? JSON.stringify(items) : JSON.stringify({ events: items });
    if (format === 'cloudevents') headers['content-type'] = 'application/cloudevents-batch+json';
    headers['audit-signature'] = sign(body);
    headers['audit-delivery-id'] = deliveryId;
    if (replay) headers['audit-replay'] = 'true';
    if (test) headers['audit-test'] = 'true';
    return { url, headers, body };
  },
});
