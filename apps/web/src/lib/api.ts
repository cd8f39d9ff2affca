/** A problem+json answer, thrown by `api()` so pages can show the API's own words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; errors?: { path: string; message: string }[] },
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
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
  entitlements: { view_window_days: number | null; export_window_days: number | null; retention_days: number | null; legal_hold: boolean; forwarding_destinations: number | null; integrity_proofs: boolean };
  retention: { days: number | null; previous_days: number | null; grace_until: string | null; cutoff: string | null; next_purge_at: string | null };
  me: { kind: string; user_id?: string; email?: string; role?: string; admin_workspace_ids?: string[] };
  /** Every account the signed-in person belongs to (empty for an API key). */
  accounts: { id: string; name: string; role: string }[];
  billing_mode: 'static' | 'stripe';
  retention_grace_until: string | null;
  plans: { id: string; name: string; entitlements: Record<string, number | boolean | null> }[];
}

export interface AuditEvent {
  id: string;
  /** Present on plans with integrity proofs: the event is in the sealed Merkle tree. */
  sealed?: boolean;
  workspace_id: string | null;
  action: string;
  category: string;
  occurred_at: string;
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
  /** `platform`: written by Audit Trail itself; `api`: sent by your systems over the API. */
  source: 'platform' | 'api';
  /** The key that sent it, or performed the administration it records. */
  api_key_id: string | null;
}

export interface EventPage {
  entries: AuditEvent[];
  next_cursor: string | null;
  window: { from: string | null; to: string; clamped: boolean };
}

export interface ExportView {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'expired';
  format: 'csv' | 'ndjson';
  gzip: boolean;
  scope: 'account' | 'workspace';
  workspace_id: string | null;
  filters: Record<string, unknown> & { from: string; to: string };
  progress: number;
  row_count: number;
  bytes: number;
  sha256: string | null;
  download_url: string | null;
  link_expires_at: string | null;
  expires_at: string | null;
  error: string | null;
  created_at: string;
  completed_at: string | null;
}

export interface LegalHoldView {
  id: string;
  scope: 'account' | 'workspace';
  workspace_id: string | null;
  reason: string;
  active: boolean;
  created_by: string;
  created_at: string;
  released_at: string | null;
  released_by: string | null;
}

export interface WorkspaceView {
  id: string;
  name: string;
  created_at: string;
}
