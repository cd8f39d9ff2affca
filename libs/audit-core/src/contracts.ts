import type { DestinationFormat, DestinationType } from './destinations';
import type { ApiEvent } from './normalize';

/**
 * The shapes the API answers and the console reads, written once: the API's
 * view functions are declared to return these, and the console imports them
 * (through the browser-safe entry), so a field renamed on one side does not
 * compile on the other.
 */

/** One entry of a log page; `sealed` is present on plans with integrity proofs. */
export type EntryView = ApiEvent & { sealed?: boolean };

export const EXPORT_STATUS_VALUES = ['queued', 'running', 'completed', 'failed', 'expired'] as const;

/** An export as GET /v1/exports/{id} answers it. */
export interface ExportView {
  id: string;
  status: (typeof EXPORT_STATUS_VALUES)[number];
  format: 'csv' | 'ndjson';
  gzip: boolean;
  scope: 'account' | 'workspace';
  workspace_id: string | null;
  /** The filters as requested, with from/to resolved. */
  filters: Record<string, unknown> & { from: string; to: string };
  progress: number;
  row_count: number;
  bytes: number;
  sha256: string | null;
  /** Fresh on every read while the file exists. */
  download_url: string | null;
  manifest_url: string | null;
  link_expires_at: string | null;
  expires_at: string | null;
  error: string | null;
  created_at: string;
  completed_at: string | null;
}

/** A forwarding destination as the API shows it: never a secret. */
export interface DestinationView {
  id: string;
  type: DestinationType;
  name: string;
  /** Masked when the URL is itself a secret (see the type's spec). */
  url: string;
  format: DestinationFormat;
  scope: 'account' | 'workspace';
  workspace_id: string | null;
  filter: { actions: string[]; categories: string[] };
  enabled: boolean;
  disabled_reason: string | null;
  has_secret: boolean;
  previous_secret_until: string | null;
  failing_since: string | null;
  next_attempt_at: string | null;
  last_delivered_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  /** Only in the answer that created it: a generated webhook signing secret, shown once. */
  secret?: string;
}

/** A workspace (its own log) as the API shows it. */
export interface WorkspaceView {
  id: string;
  name: string;
  created_at: string;
}

/** A legal hold: while active, retention purges nothing it covers. */
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
