import type { components, paths } from './openapi.js';

/** Every type here is read from the generated OpenAPI types: none is written by hand. */
type Schemas = components['schemas'];
type JsonBody<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** An event to send (POST /v1/events). */
export type EventInput = JsonBody<paths['/v1/events']['post']['requestBody']>;
/** The answer to an ingest: one id per event, in order. */
export type IngestResult = Schemas['IngestResult'];
/** A stored event. */
export type AuditEvent = Schemas['Event'];
/** An entry of a log page (`sealed` on plans with integrity proofs). */
export type Entry = Schemas['Entry'];
export type EventPage = Schemas['EventPage'];
export type FeedPage = Schemas['FeedPage'];
/** Filters of GET /v1/events (without the cursor, which list() follows for you). */
export type EventFilters = Omit<NonNullable<paths['/v1/events']['get']['parameters']['query']>, 'cursor'>;
export type FeedQuery = NonNullable<paths['/v1/events/feed']['get']['parameters']['query']>;
export type ExportRequest = JsonBody<paths['/v1/exports']['post']['requestBody']>;
export type Export = Schemas['Export'];
export type ViewerTokenRequest = JsonBody<paths['/v1/viewer-tokens']['post']['requestBody']>;
export type ViewerToken = Schemas['ViewerToken'];
export type ViewerEntry = Schemas['ViewerEntry'];
export type ViewerPage = Schemas['ViewerPage'];
export type ViewerFilters = Omit<NonNullable<paths['/v1/viewer/events']['get']['parameters']['query']>, 'cursor'>;

export type { components, paths };
