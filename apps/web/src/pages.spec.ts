import type { Account } from './lib/api';
import { mayOpen, PAGES } from './pages';

const as = (me: Account['me'], audit_log_enabled = true) => ({ me, audit_log_enabled });
const open = (a: ReturnType<typeof as>) => PAGES.filter((p) => mayOpen(p, a)).map((p) => p.path);

describe('the console page registry', () => {
  it('has one entry per path, each with a label', () => {
    expect(new Set(PAGES.map((p) => p.path)).size).toBe(PAGES.length);
    for (const p of PAGES) expect(p.label).not.toBe('');
  });

  it('offers each person exactly the pages the API lets them use', () => {
    const all = PAGES.map((p) => p.path);
    expect(open(as({ kind: 'user', role: 'owner' }))).toEqual(all);
    expect(open(as({ kind: 'user', role: 'admin' }))).toEqual(all);
    expect(open(as({ kind: 'user', role: 'member', admin_workspace_ids: ['w1'] }))).toEqual(['/audit-log', '/exports', '/catalog', '/account', '/billing']);
    expect(open(as({ kind: 'user', role: 'member', admin_workspace_ids: [] }))).toEqual(['/account', '/billing']);
    // Without the audit log on the plan: administration, your own account and billing, no log pages.
    expect(open(as({ kind: 'user', role: 'owner' }, false))).toEqual(['/api-keys', '/members', '/workspaces', '/security', '/account', '/billing']);
    // An API key has no account page of its own (sessions and two-factor belong to people).
    expect(open(as({ kind: 'api_key' }))).not.toContain('/account');
  });
});
