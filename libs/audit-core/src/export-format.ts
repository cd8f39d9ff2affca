import type { ApiEvent } from './normalize';

/** Columns of a CSV export, in order. */
export const CSV_COLUMNS = [
  'id', 'occurred_at', 'received_at', 'scope', 'workspace_id', 'action', 'category', 'outcome',
  'actor_type', 'actor_id', 'actor_email', 'actor_name', 'target_type', 'target_id', 'target_name',
  'ip', 'user_agent', 'metadata', 'changes', 'source', 'api_key_id',
] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A cell a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`,
 * tab or carriage return gets a leading apostrophe (OWASP's advice for CSV
 * injection). Every cell is neutralised the same way, JSON included.
 */
export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** One event as the cells of a CSV row. */
export function csvCells(e: ApiEvent): string[] {
  return CSV_COLUMNS.map((c) => {
    const v = e[c];
    if (v === null || v === undefined) return '';
    return neutralizeCell(typeof v === 'string' ? v : JSON.stringify(v));
  });
}
