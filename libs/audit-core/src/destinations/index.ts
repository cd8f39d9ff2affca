import { datadog } from './datadog';
import { segment } from './segment';
import { slack } from './slack';
import type { DestinationTypeSpec } from './spec';
import { splunkHec } from './splunk-hec';
import { webhook } from './webhook';

export * from './spec';
export { slackText } from './slack';

/**
 * Every receiver type, in the order the console offers them. A new type is
 * one file beside these (its spec) and one entry here; the API's schema, the
 * secret handling, the worker and the console's form follow from it.
 */
export const DESTINATION_SPECS = [webhook, segment, splunkHec, datadog, slack] as const;

export type DestinationType = (typeof DESTINATION_SPECS)[number]['type'];
export const DESTINATION_TYPES = DESTINATION_SPECS.map((s) => s.type) as [DestinationType, ...DestinationType[]];

const BY_TYPE = new Map<string, DestinationTypeSpec>(DESTINATION_SPECS.map((s) => [s.type, s]));

export function destinationSpec(type: DestinationType): DestinationTypeSpec<DestinationType> {
  return BY_TYPE.get(type) as DestinationTypeSpec<DestinationType>;
}

export const DESTINATION_FORMATS = ['native', 'ocsf', 'cloudevents'] as const;
export type DestinationFormat = (typeof DESTINATION_FORMATS)[number];
