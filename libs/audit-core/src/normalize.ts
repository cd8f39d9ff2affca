import { categoryOf } from './catalog';
import type { EventInput, LogScope } from './event.schema';
import { uuidv7At } from './ids';
import { redact } from './redact';

/** An event as stored: the columns of the audit_events table. */
export interface EventRecord {
  id: string;
  account_id: string;
  workspace_id: string | null;
  occurred_at: Date;
  received_at: Date;
  action: string;
  category: string;
  actor_type: string;
  actor_id: string | null;
  actor_email: string | null;
  actor_name: string | null;
  target_type: string | null;
  target_id: string | null;
  target_name: string | null;
  ip: string | null;
  user_agent: string | null;
  outcome: string;
  metadata: Record<string, unknown> | null;
  changes: { before?: Record<string, unknown> | null; after?: Record<string, unknown> | null } | null;
  idempotency_key: string | null;
  /** Who wrote it: the platform itself, or a tenant over the API. Set by the writer, never by input. */
  source: EventSource;
  /** The API key that sent it (`api`), or that performed the administration it records (`platform`). */
  api_key_id: string | null;
}

/** Where an entry came from: written by Audit Trail itself, or sent by the tenant over POST /v1/events. */
export const EVENT_SOURCES = ['platform', 'api'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** An event as the API answers it. */
export interface ApiEvent {
  id: string;
  account_id: string;
  workspace_id: string | null;
  scope: LogScope;
  action: string;
  category: string;
  occurred_at: string;
  received_at: string;
  actor_type: string;
  actor_id: string | null;
  actor_email: string | null;
  actor_name: string | null;
  target_type: string | null;
  target_id: string | null;
  target_name: string | null;
  ip: string | null;
  user_agent: string | null;
  outcome: string;
  metadata: Record<string, unknown> | null;
  changes: EventRecord['changes'];
  source: EventSource;
  api_key_id: string | null;
}

export interface NormalizeContext {
  accountId: string;
  receivedAt: Date;
  /** Workspace the event goes to (already resolved against the key's binding). */
  workspaceId: string | null;
  /** The category the tenant registered this action under, if it did. */
  tenantCategory?: string;
  /** The key that sent the event, or that performed the administration it records. */
  apiKeyId?: string | null;
}

/** Turn a validated input into the record to store: id, category, redaction, defaults. */
export function normalizeEvent(input: EventInput, ctx: NormalizeContext): EventRecord {
  // Stored with millisecond precision: the id carries the same instant.
  const occurredMs = input.occurred_at ? Date.parse(input.occurred_at) : ctx.receivedAt.getTime();
  const occurredAt = new Date(occurredMs);
  const metadata = input.metadata ? (redact(input.metadata) as Record<string, unknown>) : null;
  const changes = input.changes ? (redact(input.changes) as EventRecord['changes']) : null;
  return {
    id: uuidv7At(occurredMs),
    account_id: ctx.accountId,
    workspace_id: ctx.workspaceId,
    occurred_at: occurredAt,
    received_at: ctx.receivedAt,
    action: input.action,
    category: ctx.tenantCategory ?? categoryOf(input.action),
    actor_type: input.actor.type,
    actor_id: input.actor.id ?? null,
    actor_email: input.actor.email?.toLowerCase() ?? null,
    actor_name: input.actor.name ?? null,
    target_type: input.target?.type ?? null,
    target_id: input.target?.id ?? null,
    target_name: input.target?.name ?? null,
    ip: input.context?.ip ?? null,
    user_agent: input.context?.user_agent ?? null,
    outcome: input.outcome ?? 'success',
    metadata,
    changes,
    idempotency_key: input.idempotency_key ?? null,
    // Ingested until the platform's own writer says otherwise (EventWriter sets it on every path).
    source: 'api',
    api_key_id: ctx.apiKeyId ?? null,
  };
}

export function toApiEvent(r: EventRecord): ApiEvent {
  return {
    id: r.id,
    account_id: r.account_id,
    workspace_id: r.workspace_id,
    scope: r.workspace_id ? 'workspace' : 'account',
    action: r.action,
    category: r.category,
    occurred_at: r.occurred_at.toISOString(),
    received_at: r.received_at.toISOString(),
    actor_type: r.actor_type,
    actor_id: r.actor_id,
    actor_email: r.actor_email,
    actor_name: r.actor_name,
    target_type: r.target_type,
    target_id: r.target_id,
    target_name: r.target_name,
    ip: r.ip,
    user_agent: r.user_agent,
    outcome: r.outcome,
    metadata: r.metadata,
    changes: r.changes,
    source: r.source,
    api_key_id: r.api_key_id,
  };
}
