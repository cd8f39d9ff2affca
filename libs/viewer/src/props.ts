/** What the embedding page gives the viewer. */
export interface AuditTrailViewerProps {
  /** A viewer token (`atv_…`) your server minted with POST /v1/viewer-tokens. */
  token: string;
  /** Where the Audit Trail API answers, e.g. `https://audit.example.com` (default: this page's origin). */
  baseUrl?: string;
  /** Entries per request (default 50, at most 500). */
  pageSize?: number;
  /** The heading above the log (default "Activity"; an empty string shows none). */
  title?: string;
}
