// The package's hand-written declarations describe the real exports (this file only compiles).
import type { AuditTrailViewer as Declared } from '../index';
import type { AuditTrailViewerElement as DeclaredElement } from '../element';
import type { AuditTrailViewerElement } from './element';
import type { AuditTrailViewer } from './react';

export type ReactMatches = typeof AuditTrailViewer extends typeof Declared ? (typeof Declared extends typeof AuditTrailViewer ? true : never) : never;
export const reactMatches: ReactMatches = true;
export const elementMatches: AuditTrailViewerElement extends DeclaredElement ? true : never = true;
