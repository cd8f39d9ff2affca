import {
  clampToViewWindow, describeViewWindow, entitlementsOf, hasEntitlement, isViewable, mayAddDestination, mayExportFrom,
  cheapestPlanWith, describeMissingEntitlement, planChangeRetention, planFromLookupKey, PLAN_IDS, retentionCutoff,
  describeEntitlementValue, ENTITLEMENT_KEYS, ENTITLEMENT_LABELS, getPlan,
} from './plans';

const DAY = 86_400_000;
const now = new Date('2026-06-01T00:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * DAY);

describe('plans', () => {
  it('matches the contract table', () => {
    expect(PLAN_IDS).toEqual(['free', 'essentials', 'premium', 'enterprise']);
    expect(entitlementsOf('free')).toMatchObject({ audit_log: false, forwarding_destinations: 0, integrity_proofs: false, legal_hold: false, scim: false, sso: false });
    expect(entitlementsOf('essentials')).toEqual({ audit_log: true, view_window_days: 30, export_window_days: 30, retention_days: 90, forwarding_destinations: 0, integrity_proofs: false, legal_hold: false, scim: false, sso: false });
    expect(entitlementsOf('premium')).toEqual({ audit_log: true, view_window_days: null, export_window_days: 365, retention_days: 730, forwarding_destinations: 3, integrity_proofs: true, legal_hold: false, scim: false, sso: false });
    expect(entitlementsOf('enterprise')).toEqual({ audit_log: true, view_window_days: null, export_window_days: 365, retention_days: 2555, forwarding_destinations: null, integrity_proofs: true, legal_hold: true, scim: true, sso: true });
    expect(hasEntitlement('free', 'audit_log')).toBe(false);
  });

  it('clamps reads to the view window', () => {
    expect(clampToViewWindow('essentials', daysAgo(60), now)).toEqual({ from: daysAgo(30), clamped: true });
    expect(clampToViewWindow('essentials', daysAgo(10), now)).toEqual({ from: daysAgo(10), clamped: false });
    expect(clampToViewWindow('essentials', null, now)).toEqual({ from: daysAgo(30), clamped: false });
    expect(clampToViewWindow('premium', daysAgo(3000), now)).toEqual({ from: daysAgo(3000), clamped: false });
    expect(isViewable('essentials', daysAgo(31), now)).toBe(false);
    expect(isViewable('premium', daysAgo(3000), now)).toBe(true);
  });

  it('limits exports to the export window', () => {
    expect(mayExportFrom('essentials', daysAgo(29), now)).toBe(true);
    expect(mayExportFrom('essentials', daysAgo(31), now)).toBe(false);
    expect(mayExportFrom('premium', daysAgo(364), now)).toBe(true);
    expect(mayExportFrom('premium', daysAgo(366), now)).toBe(false);
  });

  it('describes windows in words', () => {
    expect(describeViewWindow('essentials')).toBe('Essentials shows the last 30 days; Premium shows all.');
  });

  it('finds the plan in a Stripe lookup key', () => {
    expect(planFromLookupKey('premium_monthly')).toBe('premium');
    expect(planFromLookupKey('Essentials-yearly')).toBe('essentials');
    expect(planFromLookupKey('free')).toBeNull();
    expect(planFromLookupKey('gold')).toBeNull();
    expect(planFromLookupKey(null)).toBeNull();
  });

  it('delays a shorter retention by the grace period', () => {
    const change = planChangeRetention('premium', 'essentials', now, 30);
    expect(change).toEqual({ previousRetentionDays: 730, graceUntil: new Date(now.getTime() + 30 * DAY) });
    const state = { plan: 'essentials' as const, previousRetentionDays: 730, graceUntil: change.graceUntil };
    expect(retentionCutoff(state, new Date(now.getTime() + DAY))).toEqual(new Date(now.getTime() + DAY - 730 * DAY));
    expect(retentionCutoff(state, new Date(now.getTime() + 31 * DAY))).toEqual(new Date(now.getTime() + 31 * DAY - 90 * DAY));
    expect(planChangeRetention('essentials', 'premium', now)).toEqual({ previousRetentionDays: null, graceUntil: null });
  });

  it('keeps nothing for an unlicensed account after any grace', () => {
    expect(retentionCutoff({ plan: 'free', previousRetentionDays: null, graceUntil: null }, now)).toEqual(now);
    const down = planChangeRetention('essentials', 'free', now);
    expect(retentionCutoff({ plan: 'free', ...down }, now)).toEqual(daysAgo(90));
  });

  it('caps forwarding destinations', () => {
    expect(mayAddDestination('essentials', 0)).toBe(false);
    expect(mayAddDestination('premium', 2)).toBe(true);
    expect(mayAddDestination('premium', 3)).toBe(false);
    expect(mayAddDestination('enterprise', 1000)).toBe(true);
  });
});

describe('missing entitlements', () => {
  it('names the first plan that has the feature', () => {
    expect(cheapestPlanWith('legal_hold')).toBe('enterprise');
    expect(cheapestPlanWith('integrity_proofs')).toBe('premium');
    expect(describeMissingEntitlement('premium', 'legal_hold', 'Legal holds')).toBe('Legal holds are not part of Premium; they come with Enterprise.');
  });
});

describe('entitlement labels and values', () => {
  it('labels every entitlement once, in the billing table order', () => {
    expect([...ENTITLEMENT_KEYS].sort()).toEqual(Object.keys(getPlan('enterprise').entitlements).sort());
    expect(new Set(ENTITLEMENT_KEYS).size).toBe(Object.keys(getPlan('free').entitlements).length);
    for (const k of ENTITLEMENT_KEYS) expect(ENTITLEMENT_LABELS[k]).not.toBe('');
  });

  it('reads each value as the plans table shows it', () => {
    const free = getPlan('free');
    const enterprise = getPlan('enterprise');
    expect(describeEntitlementValue('audit_log', free)).toBe('—');
    expect(describeEntitlementValue('audit_log', enterprise)).toBe('Yes');
    expect(describeEntitlementValue('view_window_days', free)).toBe('—');
    expect(describeEntitlementValue('retention_days', getPlan('essentials'))).toMatch(/^\d+ days$/);
    expect(describeEntitlementValue('forwarding_destinations', enterprise)).toBe(enterprise.entitlements.forwarding_destinations === null ? 'Unlimited' : String(enterprise.entitlements.forwarding_destinations));
  });
});
