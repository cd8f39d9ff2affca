import { canAccessLog, isAccountAdmin, readsAnyLog } from './access';

describe('the log-access rule', () => {
  const ws = 'w1';
  it('lets an unbound key and an owner or admin read every log', () => {
    for (const p of [{ kind: 'api_key' as const }, { kind: 'session' as const, role: 'owner' as const }, { kind: 'session' as const, role: 'admin' as const }]) {
      expect([canAccessLog(p, null), canAccessLog(p, ws), isAccountAdmin(p), readsAnyLog(p)]).toEqual([true, true, true, true]);
    }
  });
  it('holds a bound key to its workspace', () => {
    const p = { kind: 'api_key' as const, boundWorkspaceId: ws };
    expect([canAccessLog(p, ws), canAccessLog(p, 'w2'), canAccessLog(p, null)]).toEqual([true, false, false]);
  });
  it('gives a member only the workspaces they administer, never the account log', () => {
    const m = { kind: 'session' as const, role: 'member' as const, adminWorkspaceIds: [ws] };
    expect([canAccessLog(m, ws), canAccessLog(m, 'w2'), canAccessLog(m, null), isAccountAdmin(m), readsAnyLog(m)]).toEqual([true, false, false, false, true]);
    expect(readsAnyLog({ kind: 'session', role: 'member', adminWorkspaceIds: [] })).toBe(false);
  });
});
