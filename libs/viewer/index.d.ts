import type { CSSProperties, JSX } from 'react';

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
  className?: string;
  style?: CSSProperties;
}

/**
 * The log of one viewer token's slice, in a shadow root of its own (the page's
 * styles do not reach in, its styles do not leak out). Theme it with CSS
 * variables on an ancestor: --atv-font-family, --atv-color-text,
 * --atv-color-background, --atv-color-accent, --atv-color-border, --atv-radius.
 */
export declare function AuditTrailViewer(props: AuditTrailViewerProps): JSX.Element;
