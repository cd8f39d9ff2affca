/**
 * The single source of plan data. Nothing outside this file names a plan or an
 * entitlement value; everything else asks the functions below.
 */
export const PLAN_IDS = ['free', 'essentials', 'premium', 'enterprise'] as const;
export type PlanId = (typeof PLAN_IDS)[number];

export interface Entitlements {
  /** The audit log feature is visible and events are recorded. */
  audit_log: boolean;
  /** How far back the log can be read; null = unlimited. */
  view_window_days: number | null;
  /** How far back an export may reach; null = unlimited. */
  export_window_days: number | null;
  /** How long events are kept; null = nothing is kept (no audit log). */
  retention_days: number | null;
  /** How many forwarding destinations the account may have; null = unlimited. */
  forwarding_destinations: number | null;
  integrity_proofs: boolean;
  legal_hold: boolean;
  /** SCIM 2.0 provisioning of members from an identity provider. */
  scim: boolean;
  /** Single sign-on (OpenID Connect or SAML 2.0), verified email domains and "SSO required". */
  sso: boolean;
}

export interface Plan {
  id: PlanId;
  name: string;
  entitlements: Entitlements;
}

export const PLANS: Readonly<Record<PlanId, Plan>> = {
  free: {
    id: 'free',
    name: 'Free',
    entitlements: {
      audit_log: false,
      view_window_days: 0,
      export_window_days: 0,
      retention_days: null,
      forwarding_destinations: 0,
      integrity_proofs: false,
      legal_hold: false,
      scim: false,
      sso: false,
    },
  },
  essentials: {
    id: 'essentials',
    name: 'Essentials',
    entitlements: {
      audit_log: true,
      view_window_days: 30,
      export_window_days: 30,
      retention_days: 90,
      forwarding_destinations: 0,
      integrity_proofs: false,
      legal_hold: false,
      scim: false,
      sso: false,
    },
  },
  premium: {
    id: 'premium',
    name: 'Premium',
    entitlements: {
      audit_log: true,
      view_window_days: null,
      export_window_days: 365,
      retention_days: 730,
      forwarding_destinations: 3,
      integrity_proofs: true,
      legal_hold: false,
      scim: false,
      sso: false,
    },
  },
  enterprise: {
    id: 'enterprise',
    name: 'Enterprise',
    entitlements: {
      audit_log: true,
      view_window_days: null,
      export_window_days: 365,
      retention_days: 2555,
      forwarding_destinations: null,
      integrity_proofs: true,
      legal_hold: true,
      scim: true,
      sso: true,
    },
  },
};

/** The plan every new account starts on. */
export const DEFAULT_PLAN: PlanId = 'free';

/** Days a shorter retention waits after a downgrade before it purges anything. */
export const DEFAULT_DOWNGRADE_GRACE_DAYS = 30;

/**
 * What people call each entitlement (the billing table, messages). Typed
 * against Entitlements: an entitlement added without a label, or a label
 * for one that does not exist, does not compile.
 */
export const ENTITLEMENT_LABELS: Readonly<Record<keyof Entitlements, string>> = {
  audit_log: 'Audit log',
  view_window_days: 'How far back you can read',
  export_window_days: 'How far back you can export',
  retention_days: 'How long events are kept',
  forwarding_destinations: 'Forwarding destinations',
  integrity_proofs: 'Integrity proofs',
  legal_hold: 'Legal hold',
  scim: 'SCIM provisioning',
  sso: 'Single sign-on',
};

/** The entitlements in the order plans are compared (every key of Entitlements, once). */
export const ENTITLEMENT_KEYS = Object.keys(ENTITLEMENT_LABELS) as (keyof Entitlements)[];

/** How a plan's value of one entitlement reads in the plans table. */
export function describeEntitlementValue<K extends keyof Entitlements>(key: K, plan: Plan): string {
  const value: Entitlements[K] = plan.entitlements[key];
  if (typeof value === 'boolean') return value ? 'Yes' : '—';
  // Without the audit log, the windows and retention mean nothing; destinations still exist.
  if (!plan.entitlements.audit_log && key !== 'forwarding_destinations') return '—';
  if (value === null) return key === 'forwarding_destinations' ? 'Unlimited' : key === 'retention_days' ? '—' : 'Everything';
  return key.endsWith('_days') ? `${String(value)} days` : String(value);
}

export type BooleanEntitlement = {
  [K in keyof Entitlements]: Entitlements[K] extends boolean ? K : never;
}[keyof Entitlements];

const DAY_MS = 86_400_000;

export function isPlanId(value: unknown): value is PlanId {
  return typeof value === 'string' && (PLAN_IDS as readonly string[]).includes(value);
}

export function getPlan(id: PlanId): Plan {
  return PLANS[id];
}

/** Plan for a stored value; an unknown value (e.g. a retired plan) is treated as free. */
export function planOrFree(value: string): Plan {
  return isPlanId(value) ? PLANS[value] : PLANS[DEFAULT_PLAN];
}

export function entitlementsOf(plan: PlanId): Entitlements {
  return PLANS[plan].entitlements;
}

export function hasEntitlement(plan: PlanId, feature: BooleanEntitlement): boolean {
  return PLANS[plan].entitlements[feature];
}

/**
 * The plan id a Stripe price lookup key names: the key starts with the plan id
 * (`essentials_monthly`, `premium-yearly`...). Free is never sold.
 */
export function planFromLookupKey(lookupKey: string | null | undefined): PlanId | null {
  if (!lookupKey) return null;
  const key = lookupKey.toLowerCase();
  for (const id of PLAN_IDS) {
    if (id !== DEFAULT_PLAN && key.startsWith(id)) return id;
  }
  return null;
}

export interface Window {
  /** Earliest instant that may be read, or null when unlimited. */
  earliest: Date | null;
}

/** The earliest instant a plan lets an account read at `now`. */
export function viewWindowStart(plan: PlanId, now: Date): Date | null {
  const days = PLANS[plan].entitlements.view_window_days;
  return days === null ? null : new Date(now.getTime() - days * DAY_MS);
}

/** The earliest instant an export may reach at `now`. */
export function exportWindowStart(plan: PlanId, now: Date): Date | null {
  const days = PLANS[plan].entitlements.export_window_days;
  return days === null ? null : new Date(now.getTime() - days * DAY_MS);
}

export interface ClampResult {
  from: Date | null;
  clamped: boolean;
}

/** Clamp a requested lower bound to the plan's view window. */
export function clampToViewWindow(plan: PlanId, requestedFrom: Date | null, now: Date): ClampResult {
  const earliest = viewWindowStart(plan, now);
  if (earliest === null) return { from: requestedFrom, clamped: false };
  if (requestedFrom === null) return { from: earliest, clamped: false };
  if (requestedFrom.getTime() < earliest.getTime()) return { from: earliest, clamped: true };
  return { from: requestedFrom, clamped: false };
}

/** Is an instant inside the plan's view window? */
export function isViewable(plan: PlanId, at: Date, now: Date): boolean {
  const earliest = viewWindowStart(plan, now);
  return earliest === null || at.getTime() >= earliest.getTime();
}

/** Is an export reaching back to `from` allowed at `now`? */
export function mayExportFrom(plan: PlanId, from: Date, now: Date): boolean {
  const earliest = exportWindowStart(plan, now);
  return earliest === null || from.getTime() >= earliest.getTime();
}

/** A sentence a person understands about how far back a plan reads. */
export function describeViewWindow(plan: PlanId): string {
  const days = PLANS[plan].entitlements.view_window_days;
  const name = PLANS[plan].name;
  if (!PLANS[plan].entitlements.audit_log) return `${name} does not include the audit log.`;
  const unlimited = PLAN_IDS.filter(
    (p) => PLANS[p].entitlements.audit_log && PLANS[p].entitlements.view_window_days === null,
  ).map((p) => PLANS[p].name);
  if (days === null) return `${name} shows the whole audit log.`;
  return `${name} shows the last ${days} days; ${unlimited[0] ?? 'a higher plan'} shows all.`;
}

/** A sentence about how far back a plan exports. */
export function describeExportWindow(plan: PlanId, now: Date): string {
  const days = PLANS[plan].entitlements.export_window_days;
  const name = PLANS[plan].name;
  if (!PLANS[plan].entitlements.audit_log) return `${name} does not include exports.`;
  if (days === null) return `${name} exports the whole audit log.`;
  const earliest = exportWindowStart(plan, now);
  return `${name} exports the last ${days} days (from ${earliest?.toISOString()}).`;
}

export interface RetentionState {
  plan: PlanId;
  /** The retention that applied before the last downgrade, if its grace is still running. */
  previousRetentionDays: number | null;
  /** When the grace period of the last downgrade ends. */
  graceUntil: Date | null;
}

/**
 * The instant before which events may be purged at `now`, or null when nothing
 * may be purged. During a downgrade grace period the longer of the two
 * retentions applies, so a mistaken downgrade loses nothing.
 */
export function retentionCutoff(state: RetentionState, now: Date): Date | null {
  const current = PLANS[state.plan].entitlements.retention_days;
  const inGrace = state.graceUntil !== null && now.getTime() < state.graceUntil.getTime();
  if (inGrace) {
    const prev = state.previousRetentionDays;
    const longest = current === null ? prev : prev === null ? current : Math.max(prev, current);
    if (longest === null) return null;
    return new Date(now.getTime() - longest * DAY_MS);
  }
  // No audit log and no grace: nothing is kept.
  if (current === null) return now;
  return new Date(now.getTime() - current * DAY_MS);
}

/**
 * What to record when an account moves between plans: a shorter retention only
 * starts after a grace period.
 */
export function planChangeRetention(
  from: PlanId,
  to: PlanId,
  now: Date,
  graceDays: number = DEFAULT_DOWNGRADE_GRACE_DAYS,
): { previousRetentionDays: number | null; graceUntil: Date | null } {
  const before = PLANS[from].entitlements.retention_days;
  const after = PLANS[to].entitlements.retention_days;
  const shorter = before !== null && (after === null || after < before);
  if (!shorter) return { previousRetentionDays: null, graceUntil: null };
  return { previousRetentionDays: before, graceUntil: new Date(now.getTime() + graceDays * DAY_MS) };
}

/** The first plan, in price order, that includes a feature (null when none does). */
export function cheapestPlanWith(feature: BooleanEntitlement): PlanId | null {
  return PLAN_IDS.find((p) => PLANS[p].entitlements[feature]) ?? null;
}

/** A sentence a person understands when their plan lacks a feature. */
export function describeMissingEntitlement(plan: PlanId, feature: BooleanEntitlement, what: string): string {
  const needed = cheapestPlanWith(feature);
  const name = PLANS[plan].name;
  return needed ? `${what} are not part of ${name}; they come with ${PLANS[needed].name}.` : `${what} are not available on any plan.`;
}

/** A sentence about a plan's forwarding destination limit. */
export function describeDestinationLimit(plan: PlanId): string {
  const cap = PLANS[plan].entitlements.forwarding_destinations;
  const name = PLANS[plan].name;
  const more = PLAN_IDS.find((p) => {
    const c = PLANS[p].entitlements.forwarding_destinations;
    return c === null || (cap !== null && c > cap);
  });
  const upgrade = more ? ` ${PLANS[more].name} includes ${PLANS[more].entitlements.forwarding_destinations ?? 'unlimited'}.` : '';
  if (cap === null) return `${name} includes unlimited forwarding destinations.`;
  if (cap === 0) return `${name} does not include forwarding.${upgrade}`;
  return `${name} includes ${cap} forwarding destination${cap === 1 ? '' : 's'}, and all are in use.${upgrade}`;
}

/** Can the account add one more forwarding destination, having `count`? */
export function mayAddDestination(plan: PlanId, count: number): boolean {
  const cap = PLANS[plan].entitlements.forwarding_destinations;
  return cap === null || count < cap;
}
