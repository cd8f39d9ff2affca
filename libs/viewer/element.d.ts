/**
 * Importing this module defines <audit-trail-viewer token="atv_…" base-url="https://audit.example.com">.
 * Attributes: token (required), base-url, page-size, title. Changing `token` (attribute or property) re-reads the log.
 */
export declare class AuditTrailViewerElement extends HTMLElement {
  token: string;
}
declare global {
  interface HTMLElementTagNameMap {
    'audit-trail-viewer': AuditTrailViewerElement;
  }
}
