import { z } from 'zod';
import { EXPORT_STATUS_VALUES, type ExportView } from './contracts';
import { EXPORT_FORMATS, SCOPES } from './event.schema';
import { EVENT_SOURCES, type ApiEvent } from './normalize';

/**
 * The answers of the routes integrators call, as schemas: /openapi.json
 * publishes them, the SDK's types are generated from that document, and a
 * test checks real answers against it. The compile-time checks at the end
 * keep each schema equal to the type the API's code returns.
 */

const json = z.record(z.string(), z.unknown());
const time = z.string().describe('RFC 3339');

const entryFields = {
  id: z.string(),
  account_id: z.string(),
  workspace_id: z.string().nullable(),
  scope: z.enum(SCOPES),
  action: z.string(),
  category: z.string(),
  occurred_at: time,
  received_at: time,
  actor_type: z.string(),
  actor_id: z.string().nullable(),
  actor_email: z.string().nullable(),
  actor_name: z.string().nullable(),
  target_type: z.string().nullable(),
  target_id: z.string().nullable(),
  target_name: z.string().nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  outcome: z.string(),
  metadata: json.nullable(),
  changes: z.object({ before: json.nullable().optional(), after: json.nullable().optional() }).nullable(),
  source: z.enum(EVENT_SOURCES),
  api_key_id: z.string().nullable(),
};

/** One stored event as the API answers it. */
export const apiEventSchema = z.object(entryFields).meta({ id: 'Event' });
/** An entry of a log page: `sealed` is present on plans with integrity proofs. */
export const entrySchema = z.object({ ...entryFields, sealed: z.boolean().optional() }).meta({ id: 'Entry' });

export const ingestResultSchema = z.object({ ids: z.array(z.string()).describe('One id per event sent, in order; a repeated idempotency key answers the first id') }).meta({ id: 'IngestResult' });

const windowSchema = z.object({ from: time.nullable(), to: time, clamped: z.boolean() });

export const eventPageSchema = z
  .object({ entries: z.array(entrySchema), next_cursor: z.string().nullable(), window: windowSchema })
  .meta({ id: 'EventPage' });

export const feedPageSchema = z
  .object({ entries: z.array(apiEventSchema), next_position: z.string().nullable().describe('Keep it, and send it as `after` next time') })
  .meta({ id: 'FeedPage' });

export const exportViewSchema = z
  .object({
    id: z.string(),
    status: z.enum(EXPORT_STATUS_VALUES),
    format: z.enum(EXPORT_FORMATS),
    gzip: z.boolean(),
    scope: z.enum(SCOPES),
    workspace_id: z.string().nullable(),
    filters: z.looseObject({ from: time, to: time }),
    progress: z.number(),
    row_count: z.number(),
    bytes: z.number(),
    sha256: z.string().nullable(),
    download_url: z.string().nullable(),
    manifest_url: z.string().nullable(),
    link_expires_at: time.nullable(),
    expires_at: time.nullable(),
    error: z.string().nullable(),
    created_at: time,
    completed_at: time.nullable(),
  })
  .meta({ id: 'Export' });

export const exportListSchema = z.object({ data: z.array(exportViewSchema), next_cursor: z.string().nullable() }).meta({ id: 'ExportList' });

export const viewerTokenSchema = z.object({ token: z.string(), expires_at: time }).meta({ id: 'ViewerToken' });

/** What a viewer sees of an entry: everything but the tenant's own API key id. */
export const viewerEntrySchema = apiEventSchema.omit({ api_key_id: true }).extend({ sealed: z.boolean().optional() }).meta({ id: 'ViewerEntry' });
export const viewerPageSchema = z
  .object({ entries: z.array(viewerEntrySchema), next_cursor: z.string().nullable(), window: windowSchema })
  .meta({ id: 'ViewerPage' });

// The schemas describe exactly what the code returns (a field added on one side only does not compile).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameEvent: Same<z.output<typeof apiEventSchema>, ApiEvent> = true;
const sameExport: Same<z.output<typeof exportViewSchema>, ExportView> = true;
void sameEvent;
void sameExport;
