import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

export const DOC_KEY = 'audit:doc';

export interface DocOptions {
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** The success answer's body (published in /openapi.json; the SDK's types come from it). */
  response?: z.ZodType;
  /** Extra success status (default: the route's own). */
  description?: string;
}

/** Describes a route for /openapi.json with the same zod schemas that validate it. */
export const Doc = (options: DocOptions) => SetMetadata(DOC_KEY, options);
