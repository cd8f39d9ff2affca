import type { ApiEvent } from '../normalize';
import { defineDestinationType } from './spec';

/** One line a person reads in Slack. */
export function slackText(e: ApiEvent): string {
  const who = e.actor_email ?? e.actor_name ?? e.actor_id ?? e.actor_type;
  const what = e.target_name ?? e.target_id;
  const where = e.ip ? ` from ${e.ip}` : '';
  const failed = e.outcome !== 'success' ? ` (${e.outcome})` : '';
  return `*${e.action}*${failed} by ${who}${what ? ` on ${e.target_type ?? 'target'} ${what}` : ''}${where} at ${e.occurred_at}`;
}

/** A Slack incoming webhook: one message per event. The URL carries the token, so it is the secret. */
export const slack = defineDestinationType({
  type: 'slack',
  label: 'Slack',
  exampleUrl: 'https://hooks.slack.com/services/…',
  batchLimit: 1,
  takesFormat: false,
  credential: null,
  maskUrl: (url) => url.replace(/(\/services\/)[^?]*/, '$1…'),
  buildRequest({ url, events, headers }) {
    return { url, headers, body: JSON.stringify({ text: events.map(slackText).join('\n') }) };
  },
});
