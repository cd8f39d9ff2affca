/**
 * Which OCSF class and activity each event is. Platform actions are mapped
 * one by one (a test checks every row against the class's activity enum);
 * a tenant's own actions are API Activity, with the activity read from the
 * action's verb.
 *
 * The activity names are those of OCSF 1.3's event classes:
 * Account Change (3001), Authentication (3002), User Access Management
 * (3005) and API Activity (6003).
 */
export const OCSF_CLASSES = {
  3001: { name: 'Account Change', category_uid: 3, category_name: 'Identity & Access Management' },
  3002: { name: 'Authentication', category_uid: 3, category_name: 'Identity & Access Management' },
  3005: { name: 'User Access Management', category_uid: 3, category_name: 'Identity & Access Management' },
  6003: { name: 'API Activity', category_uid: 6, category_name: 'Application Activity' },
} as const;
export type OcsfClassUid = keyof typeof OCSF_CLASSES;

/** Activity ids of each class, named as OCSF names them (99 is Other in every class). */
export const OCSF_ACTIVITIES: Record<OcsfClassUid, Readonly<Record<number, string>>> = {
  3001: { 1: 'Create', 2: 'Enable', 3: 'Password Change', 4: 'Password Reset', 5: 'Disable', 6: 'Delete', 7: 'Attach Policy', 8: 'Detach Policy', 9: 'Lock', 10: 'MFA Factor Enable', 11: 'MFA Factor Disable', 99: 'Other' },
  3002: { 1: 'Logon', 2: 'Logoff', 3: 'Authentication Ticket', 4: 'Service Ticket Request', 5: 'Service Ticket Renew', 99: 'Other' },
  3005: { 1: 'Assign Privileges', 2: 'Revoke Privileges', 99: 'Other' },
  6003: { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' },
};

export interface OcsfMapping {
  class_uid: OcsfClassUid;
  activity_id: number;
}

const row = (class_uid: OcsfClassUid, activity_id: number): OcsfMapping => ({ class_uid, activity_id });

/** Every action the platform records, and what it is in OCSF. */
export const OCSF_PLATFORM_ACTIONS: Readonly<Record<string, OcsfMapping>> = {
  'user.signed_up': row(3001, 1), // an account was created
  'auth.login': row(3002, 1), // Logon
  'auth.login_failed': row(3002, 1), // a Logon that failed (status Failure)
  'auth.logout': row(3002, 2), // Logoff
  'auth.locked_out': row(3001, 9), // Lock
  'api_key.created': row(3001, 1), // a credential of the account was created
  'api_key.rotated': row(3001, 3), // its secret was changed: Password Change
  'api_key.revoked': row(3001, 5), // stays on record, unusable for good: Disable
  'member.invited': row(3001, 1), // a membership was created
  'member.joined': row(3001, 2), // the membership became usable: Enable
  'member.role_changed': row(3005, 1), // Assign Privileges (the new role)
  'member.removed': row(3001, 6), // Delete
  'mfa.enabled': row(3001, 10),
  'mfa.disabled': row(3001, 11),
  'auth.password_reset_completed': row(3001, 4),
  'auth.password_reset_requested': row(3001, 4), // the reset began (the password changes at completion)
  'auth.mfa_failed': row(3002, 1), // a Logon that failed at the second factor (status Failure)
  'session.revoked': row(3002, 2), // the sessions were logged off
  'mfa.required_enabled': row(6003, 3),
  'mfa.required_disabled': row(6003, 3),
  'workspace.created': row(6003, 1),
  'workspace.renamed': row(6003, 3),
  'workspace.deleted': row(6003, 4),
  'plan.changed': row(6003, 3),
  'export.requested': row(6003, 1),
  'export.downloaded': row(6003, 2),
  'destination.created': row(6003, 1),
  'destination.updated': row(6003, 3),
  'destination.deleted': row(6003, 4),
  'destination.disabled': row(6003, 3),
  'destination.replayed': row(6003, 1),
  'retention.purged': row(6003, 4),
  'legal_hold.placed': row(6003, 1),
  'legal_hold.released': row(6003, 4),
  'catalog.action_registered': row(6003, 1),
  'catalog.action_updated': row(6003, 3),
  'catalog.action_removed': row(6003, 4),
  'event.viewed': row(6003, 2),
  'log.viewed': row(6003, 2),
  'integrity.verified': row(6003, 2),
  'proof.downloaded': row(6003, 2),
  'integrity.anomaly': row(6003, 99),
  'destination.tested': row(6003, 99),
  'billing.checkout_started': row(6003, 1),
  'billing.portal_opened': row(6003, 1),
  'member.invitation_revoked': row(3001, 6),
  'scim.token_created': row(3001, 1),
  'scim.token_revoked': row(3001, 5),
  'scim.user_created': row(3001, 1),
  'scim.user_updated': row(6003, 3),
  'scim.user_deactivated': row(3001, 5),
  'scim.user_deleted': row(3001, 6),
  'scim.group_created': row(6003, 1),
  'scim.group_updated': row(6003, 3),
  'scim.group_deleted': row(6003, 4),
  'scim.group_mapped': row(3005, 1),
  'sso.configured': row(6003, 3),
  'sso.removed': row(6003, 4),
  'sso.domain_added': row(6003, 1),
  'sso.domain_verified': row(6003, 3),
  'sso.domain_removed': row(6003, 4),
  'sso.required_enabled': row(6003, 3),
  'sso.required_disabled': row(6003, 3),
  'viewer_token.created': row(3001, 1), // a short-lived credential was issued
};

const VERBS: [RegExp, number][] = [
  [/(^|_)(create|created|add|added|invite|invited|signed_up|joined|placed|requested)$/, 1],
  [/(^|_)(read|view|viewed|download|downloaded|login|list|listed|exported)$/, 2],
  [/(^|_)(update|updated|change|changed|rename|renamed|rotate|rotated|enable|enabled|disable|disabled)$/, 3],
  [/(^|_)(delete|deleted|remove|removed|revoke|revoked|purge|purged|release|released)$/, 4],
];

/** The OCSF class and activity of an action, with the activity's name. */
export function ocsfMappingOf(action: string): OcsfMapping & { class_name: string; activity_name: string } {
  const verb = action.slice(action.lastIndexOf('.') + 1);
  const m = OCSF_PLATFORM_ACTIONS[action] ?? row(6003, VERBS.find(([re]) => re.test(verb))?.[1] ?? 99);
  return { ...m, class_name: OCSF_CLASSES[m.class_uid].name, activity_name: OCSF_ACTIVITIES[m.class_uid][m.activity_id] };
}
