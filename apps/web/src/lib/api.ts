import type { EntryView } from '@audit-trail/audit-core/browser';
import type { Entitlements, Plan } from '@audit-trail/plans';

/** A problem+json answer, thrown by `api()` so pages can show the API's own words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { type?: string; title?: string; detail?: string; errors?: { path: string; message: string }[] },
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

/** A text field of a submitted form, trimmed ('' when absent or a file). */
export function formText(form: FormData, name: string): string {
  const v = form.get(name);
  return typeof v === 'string' ? v.trim() : '';
}

/** The API's own words for a failed call, or a sentence for a network failure. */
export const problemText = (err: unknown) => (err instanceof ApiError ? err.message : 'The server could not be reached.');

function csrfToken(): string | null {
  const m = /(?:^|;\s*)csrf_token=([^;]+)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1]) : null;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const csrf = csrfToken();
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const data: unknown = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof data === 'object' && data ? data : { detail: String(data) });
  return data as T;
}

export interface Account {
  id: string;
  name: string;
  plan: string;
  plan_name: string;
  audit_log_enabled: boolean;
  entitlements: Entitlements;
  retention: { days: number | null; previous_days: number | null; grace_until: string | null; cutoff: string | null; next_purge_at: string | null };
  me: { kind: string; user_id?: string; email?: string; role?: string; admin_workspace_ids?: string[]; mfa_enabled?: boolean; mfa_setup_required?: boolean };
  /** Every account the signed-in person belongs to (empty for an API key). */
  accounts: { id: string; name: string; role: string }[];
  billing_mode: 'static' | 'stripe';
  retention_grace_until: string | null;
  plans: Plan[];
}

/** One entry of a log page: the API's own type. */
export type AuditEvent = EntryView;

export interface EventPage {
  entries: AuditEvent[];
  next_cursor: string | null;
  window: { from: string | null; to: string; clamped: boolean };
}

export type { DestinationView, ExportView, LegalHoldView, WorkspaceView } from '@audit-trail/audit-core/browser';

