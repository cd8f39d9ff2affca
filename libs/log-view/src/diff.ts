/** One line of a before/after comparison. */
export interface DiffRow {
  path: string;
  status: 'added' | 'removed' | 'changed' | 'unchanged';
  before?: string;
  after?: string;
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Field-by-field comparison of an event's `changes`: nested objects are
 * walked (paths like `address.city`), other values compared as JSON.
 */
export function diffChanges(before: unknown, after: unknown, prefix = ''): DiffRow[] {
  const b = isObject(before) ? before : {};
  const a = isObject(after) ? after : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const rows: DiffRow[] = [];
  for (const k of keys) {
    const path = prefix ? `${prefix}.${k}` : k;
    const inB = k in b;
    const inA = k in a;
    if (inB && inA && isObject(b[k]) && isObject(a[k])) rows.push(...diffChanges(b[k], a[k], path));
    else if (!inB) rows.push({ path, status: 'added', after: show(a[k]) });
    else if (!inA) rows.push({ path, status: 'removed', before: show(b[k]) });
    else if (JSON.stringify(b[k]) === JSON.stringify(a[k])) rows.push({ path, status: 'unchanged', before: show(b[k]), after: show(a[k]) });
    else rows.push({ path, status: 'changed', before: show(b[k]), after: show(a[k]) });
  }
  return rows;
}
