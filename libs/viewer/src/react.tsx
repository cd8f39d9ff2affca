import { type CSSProperties, useLayoutEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import type { AuditTrailViewerProps } from './props';
import { ViewerShell } from './shell';

/**
 * The log of one viewer token's slice, as a React component: rendered by
 * your React into a shadow root of its own, so the page's styles and the
 * viewer's stay apart.
 */
export function AuditTrailViewer({ className, style, ...props }: AuditTrailViewerProps & { className?: string; style?: CSSProperties }) {
  const host = useRef<HTMLDivElement>(null);
  const [mount, setMount] = useState<HTMLDivElement | null>(null);
  useLayoutEffect(() => {
    const el = host.current;
    if (!el) return;
    const shadow = el.shadowRoot ?? el.attachShadow({ mode: 'open' });
    const div = document.createElement('div');
    shadow.replaceChildren(div);
    setMount(div);
    return () => div.remove();
  }, []);
  return (
    <div ref={host} className={className} style={style}>
      {mount && createPortal(<ViewerShell key={props.token} {...props} />, mount)}
    </div>
  );
}

export type { AuditTrailViewerProps } from './props';
