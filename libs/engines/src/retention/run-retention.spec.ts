import { entitlementsOf } from '@audit-trail/plans';
import { partitionMayDrop, planPurges } from './run-retention';

const DAY = 86_400_000;
const now = new Date('2026-06-15T00:00:00Z');
const account = (id: string, over: Partial<Parameters<typeof planPurges>[0][number]> = {}) => ({
  id,
  name: id,
  plan: 'essentials',
  previous_retention_days: null,
  retention_grace_until: null,
  ever_licensed: true,
  account_held: false,
  held_workspaces: [] as string[],
  ...over,
});

describe('the retention engine, its plan', () => {
  it('cuts each account at its plan’s retention, keeps a downgrade’s longer retention through the grace, and purges nothing under an account hold', () => {
    const days = entitlementsOf('essentials').retention_days as number;
    const plans = planPurges(
      [
        account('a'),
        account('held', { account_held: true }),
        account('grace', { previous_retention_days: days * 4, retention_grace_until: new Date(now.getTime() + DAY) }),
      ],
      now,
    );
    expect(plans.get('a')?.cutoff).toEqual(new Date(now.getTime() - days * DAY));
    expect(plans.get('held')).toMatchObject({ cutoff: null, report: { held: 'account', cutoff: null } });
    expect(plans.get('grace')?.cutoff).toEqual(new Date(now.getTime() - days * 4 * DAY));
    expect(plans.get('grace')?.report.retention_grace_until).toBe(new Date(now.getTime() + DAY).toISOString());
  });

  it('drops a whole month only when every account in it is in this run, past its cutoff for the whole month, and holds nothing', () => {
    const plans = planPurges([account('a'), account('b'), account('ws-held', { held_workspaces: ['w1'] }), account('held', { account_held: true })], now);
    const longAgo = new Date('2020-02-01T00:00:00Z');
    const lastMonth = new Date('2026-06-01T00:00:00Z');
    expect(partitionMayDrop(plans, null, ['a', 'b'], longAgo)).toBe(true);
    expect(partitionMayDrop(plans, null, [], longAgo)).toBe(false);
    expect(partitionMayDrop(plans, null, ['a'], lastMonth)).toBe(false);
    expect(partitionMayDrop(plans, null, ['a', 'ws-held'], longAgo)).toBe(false);
    expect(partitionMayDrop(plans, null, ['a', 'held'], longAgo)).toBe(false);
    expect(partitionMayDrop(plans, null, ['a', 'unknown'], longAgo)).toBe(false);
    // An operator's run for some accounts never drops a partition that holds another's rows.
    expect(partitionMayDrop(plans, new Set(['a']), ['a', 'b'], longAgo)).toBe(false);
    expect(partitionMayDrop(plans, new Set(['a', 'b']), ['a', 'b'], longAgo)).toBe(true);
  });
});
