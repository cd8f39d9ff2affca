/** One validation error: where (`events[3].action`) and what. */
export interface FieldError {
  path: string;
  message: string;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Render a path like ['events', 3, 'action'] as `events[3].action`; a key
 * that is not a plain name is quoted (`metadata["a b"]`).
 */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const s = String(part);
      if (IDENT.test(s)) out += out ? `.${s}` : s;
      else out += `[${JSON.stringify(s)}]`; // JSON.stringify escapes a lone surrogate as \uXXXX
    }
  }
  return out;
}

interface IssueLike {
  code: string;
  path: ReadonlyArray<PropertyKey>;
  message: string;
  keys?: string[];
}

/** Zod issues as field errors; unknown keys get one error each, at their own path. */
export function issuesToFieldErrors(issues: ReadonlyArray<IssueLike>, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key], prefix), message: 'is not a known field' });
    } else {
      out.push({ path: formatPath(issue.path, prefix) || '(body)', message: issue.message });
    }
  }
  return out;
}
