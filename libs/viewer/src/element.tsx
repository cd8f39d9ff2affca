import { createRoot, type Root } from 'react-dom/client';
import { ViewerShell } from './shell';

/**
 * <audit-trail-viewer token="atv_…" base-url="https://audit.example.com">:
 * the log of one viewer token's slice, in a shadow root of its own.
 */
export class AuditTrailViewerElement extends HTMLElement {
  static observedAttributes = ['token', 'base-url', 'page-size', 'title'];
  private root: Root | null = null;

  get token(): string {
    return this.getAttribute('token') ?? '';
  }
  set token(value: string) {
    this.setAttribute('token', value);
  }

  connectedCallback(): void {
    const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    const mount = document.createElement('div');
    shadow.replaceChildren(mount);
    this.root = createRoot(mount);
    this.render();
  }

  attributeChangedCallback(): void {
    this.render();
  }

  disconnectedCallback(): void {
    this.root?.unmount();
    this.root = null;
  }

  private render(): void {
    if (!this.root) return;
    const size = Number(this.getAttribute('page-size'));
    this.root.render(
      <ViewerShell
        key={this.token}
        token={this.token}
        baseUrl={this.getAttribute('base-url') ?? undefined}
        pageSize={Number.isInteger(size) && size > 0 ? Math.min(size, 500) : undefined}
        title={this.getAttribute('title') ?? undefined}
      />,
    );
  }
}

if (!customElements.get('audit-trail-viewer')) customElements.define('audit-trail-viewer', AuditTrailViewerElement);
