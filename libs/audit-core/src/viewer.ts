import { z } from 'zod';
import { eventFilterShape, eventQuerySchema, SCOPES } from './event.schema';

/** The longest a viewer token lives: a page embedding the viewer asks its server for a fresh one. */
export const MAX_VIEWER_TTL_SECONDS = 3600;
export const DEFAULT_VIEWER_TTL_SECONDS = 900;
/** Tokens start with this, so a viewer token is never mistaken for an API key (and the reverse). */
export const VIEWER_TOKEN_PREFIX = 'atv_';

/** An origin as a browser sends it: scheme, host and port, nothing else. */
const originSchema = z
  .string()
  .max(255)
  .transform((v, ctx) => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an origin such as https://app.example.com' });
      return z.NEVER;
    }
    if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.origin !== v.replace(/\/$/, '')) {
      ctx.addIssue({ code: 'custom', message: 'must be an origin such as https://app.example.com (scheme, host and port only)' });
      return z.NEVER;
    }
    return u.origin;
  });

/**
 * What a viewer may see: the tenant's own customer reads only the entries
 * that match every field given here. An action ending in `*` matches by
 * prefix, as in the query.
 */
export const viewerSliceSchema = z.strictObject({
  target_type: eventFilterShape.target_type,
  target_id: eventFilterShape.target_id,
  actor_id: eventFilterShape.actor_id,
  actions: z.array(z.string().min(1).max(128)).min(1).max(50).optional(),
});
export type ViewerSlice = z.infer<typeof viewerSliceSchema>;

/** POST /v1/viewer-tokens */
export const viewerTokenRequestSchema = z
  .strictObject({
    scope: z.enum(SCOPES).default('account'),
    workspace_id: eventFilterShape.workspace_id,
    filter: viewerSliceSchema.default({}),
    /** The person (the tenant's customer) the reads are recorded under. */
    viewer: z.strictObject({
      id: z.string().min(1).max(256),
      email: z.email('must be an email address').max(320).optional(),
    }),
    ttl_seconds: z
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(30, 'must be at least 30')
      .max(MAX_VIEWER_TTL_SECONDS, `must be at most ${MAX_VIEWER_TTL_SECONDS}`)
      .default(DEFAULT_VIEWER_TTL_SECONDS),
    /** Pages on these origins may read with the token from the browser (CORS). Without any, only servers and same-origin pages can. */
    origins: z.array(originSchema).max(20, 'must list at most 20 origins').default([]),
  })
  .superRefine((v, ctx) => {
    if (v.scope === 'workspace' && !v.workspace_id) ctx.addIssue({ code: 'custom', path: ['workspace_id'], message: 'is required with scope=workspace' });
  });
export type ViewerTokenRequest = z.infer<typeof viewerTokenRequestSchema>;

/** GET /v1/viewer/events: the query's own filters, always inside the token's slice (there is no scope: the token names the log). */
export const viewerEventQuerySchema = z
  .strictObject({
    from: eventFilterShape.from,
    to: eventFilterShape.to,
    action: eventFilterShape.action,
    category: eventFilterShape.category,
    actor_id: eventFilterShape.actor_id,
    target_type: eventFilterShape.target_type,
    target_id: eventFilterShape.target_id,
    outcome: eventFilterShape.outcome,
    q: eventFilterShape.q,
    limit: eventQuerySchema.shape.limit,
    cursor: eventQuerySchema.shape.cursor,
  })
  .superRefine((value, ctx) => {
    if (value.from && value.to && Date.parse(value.from) > Date.parse(value.to)) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after `to`' });
  });
export type ViewerEventQuery = z.infer<typeof viewerEventQuerySchema>;

/** What a viewer token carries (signed by the API; never stored). */
export interface ViewerClaims {
  accountId: string;
  /** null: the account log. */
  workspaceId: string | null;
  slice: ViewerSlice;
  viewer: { id: string; email?: string };
  origins: string[];
  /** Seconds since the epoch. */
  expires: number;
  /** Who minted it: `key:<id>` or `user:<id>`. */
  issuer: string;
}

/** Whether a browser on `origin` may read with these claims: no Origin (a server) always may. */
export function viewerOriginAllowed(claims: Pick<ViewerClaims, 'origins'>, origin: string | undefined, ownOrigins: readonly string[]): boolean {
  if (!origin) return true;
  return claims.origins.includes(origin) || ownOrigins.includes(origin);
}

/** Whether one entry lies inside a viewer's slice (the same rule the query's WHERE applies). */
export function inViewerSlice(e: { workspace_id: string | null; action: string; actor_id: string | null; target_type: string | null; target_id: string | null }, claims: Pick<ViewerClaims, 'workspaceId' | 'slice'>): boolean {
  const s = claims.slice;
  if (e.workspace_id !== claims.workspaceId) return false;
  if (s.actor_id !== undefined && e.actor_id !== s.actor_id) return false;
  if (s.target_type !== undefined && e.target_type !== s.target_type) return false;
  if (s.target_id !== undefined && e.target_id !== s.target_id) return false;
  if (s.actions?.length && !s.actions.some((a) => (a.endsWith('*') ? e.action.startsWith(a.slice(0, -1)) : e.action === a))) return false;
  return true;
}
