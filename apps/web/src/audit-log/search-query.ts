/**
 * The Audit Log search box: GitHub-style qualifiers and free text.
 *
 *   action:api_key.* actor:alice@acme.com ip:203.0.113.0/24 -outcome:success "billing address"
 *
 * becomes the query parameters the API takes. Pure, so it is tested on its own.
 */
export type SearchParams = Record<string, string | string[]>;

export interface ParsedSearch {
  params: SearchParams;
  /** Words the box could not use, with why. */
  errors: string[];
}

export const QUALIFIERS = ['action', 'category', 'actor', 'ip', 'target', 'outcome', 'source', 'key'] as const;

/** Split on spaces, keeping "quoted phrases" and qualifier:"quoted values" whole. */
export function tokenize(input: string): string[] {
  const out: string[] = [];
  const re = /(-?[a-z_]+:"[^"]*"|"[^"]*"|\S+)/g;
  for (const m of input.matchAll(re)) out.push(m[1]);
  return out;
}

const unquote = (s: string) => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

export function parseSearch(input: string): ParsedSearch {
  const params: SearchParams = {};
  const errors: string[] = [];
  const text: string[] = [];
  const add = (k: string, v: string, repeatable = false) => {
    if (repeatable) params[k] = [...((params[k] as string[] | undefined) ?? []), v];
    else params[k] = v;
  };
  for (const token of tokenize(input.trim())) {
    const m = /^(-?)([a-z_]+):(.*)$/.exec(token);
    // Not a qualifier we know (a URL, "color:blue"): plain text.
    if (!m || m[3] === '' || !(QUALIFIERS as readonly string[]).includes(m[2])) {
      text.push(unquote(token));
      continue;
    }
    const [, neg, key, raw] = m;
    const value = unquote(raw);
    if (neg && key !== 'outcome') {
      errors.push(`-${key}: only -outcome: can be excluded`);
      continue;
    }
    switch (key) {
      case 'action':
        add('action', value, true);
        break;
      case 'category':
        add('category', value, true);
        break;
      case 'actor':
        add(value.includes('@') ? 'actor_email' : 'actor_id', value);
        break;
      case 'ip':
        add('ip', value);
        break;
      case 'target': {
        // target:project:p_7 names type and id; target:p_7 an id.
        const i = value.indexOf(':');
        if (i > 0) {
          add('target_type', value.slice(0, i));
          add('target_id', value.slice(i + 1));
        } else add('target_id', value);
        break;
      }
      case 'outcome':
        add(neg ? 'outcome_not' : 'outcome', value);
        break;
      case 'source':
        add('source', value);
        break;
      case 'key':
        add('api_key_id', value);
        break;
    }
  }
  if (text.length) params.q = text.join(' ');
  return { params, errors };
}

const quote = (v: string) => (/\s/.test(v) ? `"${v}"` : v);

/** The search box text for query parameters: parseSearch's inverse. */
export function formatSearch(params: URLSearchParams): string {
  const parts: string[] = [];
  for (const a of params.getAll('action')) parts.push(`action:${quote(a)}`);
  for (const c of params.getAll('category')) parts.push(`category:${quote(c)}`);
  const actor = params.get('actor_email') ?? params.get('actor_id');
  if (actor) parts.push(`actor:${quote(actor)}`);
  const ip = params.get('ip');
  if (ip) parts.push(`ip:${ip}`);
  const tt = params.get('target_type');
  const ti = params.get('target_id');
  if (ti) parts.push(`target:${tt ? `${tt}:` : ''}${quote(ti)}`);
  const o = params.get('outcome');
  if (o) parts.push(`outcome:${o}`);
  const on = params.get('outcome_not');
  if (on) parts.push(`-outcome:${on}`);
  const src = params.get('source');
  if (src) parts.push(`source:${src}`);
  const key = params.get('api_key_id');
  if (key) parts.push(`key:${key}`);
  const q = params.get('q');
  if (q) parts.push(q);
  return parts.join(' ');
}

/** Query parameters that parseSearch may set (cleared before a new search is applied). */
export const SEARCH_KEYS = ['action', 'category', 'actor_email', 'actor_id', 'ip', 'target_type', 'target_id', 'outcome', 'outcome_not', 'source', 'api_key_id', 'q'] as const;
