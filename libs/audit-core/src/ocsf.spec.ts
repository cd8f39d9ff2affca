import { PLATFORM_ACTIONS } from './catalog';
import { OCSF_ACTIVITIES, OCSF_CLASSES, OCSF_PLATFORM_ACTIONS, ocsfMappingOf } from './ocsf';

/**
 * The activity_id enums as the OCSF schema defines them (ocsf/ocsf-schema,
 * events/iam/account_change.json, events/iam/authentication.json,
 * events/iam/user_access.json, events/application/api.json; class uid =
 * category uid × 1000 + the file's uid), with the class names, restated here
 * so the mapping is checked against the standard rather than against itself.
 */
const SCHEMA: Record<number, { caption: string; activities: Record<number, string> }> = {
  3001: { caption: 'Account Change', activities: { 1: 'Create', 2: 'Enable', 3: 'Password Change', 4: 'Password Reset', 5: 'Disable', 6: 'Delete', 7: 'Attach Policy', 8: 'Detach Policy', 9: 'Lock', 10: 'MFA Factor Enable', 11: 'MFA Factor Disable' } },
  3002: { caption: 'Authentication', activities: { 1: 'Logon', 2: 'Logoff', 3: 'Authentication Ticket', 4: 'Service Ticket Request', 5: 'Service Ticket Renew' } },
  3005: { caption: 'User Access Management', activities: { 1: 'Assign Privileges', 2: 'Revoke Privileges' } },
  6003: { caption: 'API Activity', activities: { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' } },
};

/** What each platform action means, in the schema's words: the row the table must hold. */
const EXPECTED: Record<string, [number, string]> = {
  'user.signed_up': [3001, 'Create'],
  'auth.login': [3002, 'Logon'],
  'auth.login_failed': [3002, 'Logon'],
  'auth.logout': [3002, 'Logoff'],
  'auth.locked_out': [3001, 'Lock'],
  'api_key.created': [3001, 'Create'],
  'api_key.rotated': [3001, 'Password Change'],
  'api_key.revoked': [3001, 'Disable'],
  'member.invited': [3001, 'Create'],
  'member.joined': [3001, 'Enable'],
  'member.role_changed': [3005, 'Assign Privileges'],
  'member.removed': [3001, 'Delete'],
  'mfa.enabled': [3001, 'MFA Factor Enable'],
  'mfa.disabled': [3001, 'MFA Factor Disable'],
  'auth.password_reset_completed': [3001, 'Password Reset'],
  'auth.password_reset_requested': [3001, 'Password Reset'],
  'auth.mfa_failed': [3002, 'Logon'],
  'session.revoked': [3002, 'Logoff'],
  'mfa.required_enabled': [6003, 'Update'],
  'mfa.required_disabled': [6003, 'Update'],
  'workspace.created': [6003, 'Create'],
  'workspace.renamed': [6003, 'Update'],
  'workspace.deleted': [6003, 'Delete'],
  'plan.changed': [6003, 'Update'],
  'export.requested': [6003, 'Create'],
  'export.downloaded': [6003, 'Read'],
  'destination.created': [6003, 'Create'],
  'destination.updated': [6003, 'Update'],
  'destination.deleted': [6003, 'Delete'],
  'destination.disabled': [6003, 'Update'],
  'destination.replayed': [6003, 'Create'],
  'retention.purged': [6003, 'Delete'],
  'legal_hold.placed': [6003, 'Create'],
  'legal_hold.released': [6003, 'Delete'],
  'catalog.action_registered': [6003, 'Create'],
  'catalog.action_updated': [6003, 'Update'],
  'catalog.action_removed': [6003, 'Delete'],
  'event.viewed': [6003, 'Read'],
  'log.viewed': [6003, 'Read'],
  'integrity.verified': [6003, 'Read'],
  'proof.downloaded': [6003, 'Read'],
  'integrity.anomaly': [6003, 'Other'],
  'destination.tested': [6003, 'Other'],
  'billing.checkout_started': [6003, 'Create'],
  'billing.portal_opened': [6003, 'Create'],
  'member.invitation_revoked': [3001, 'Delete'],
  'viewer_token.created': [3001, 'Create'],
  'sso.configured': [6003, 'Update'],
  'sso.removed': [6003, 'Delete'],
  'sso.domain_added': [6003, 'Create'],
  'sso.domain_verified': [6003, 'Update'],
  'sso.domain_removed': [6003, 'Delete'],
  'sso.required_enabled': [6003, 'Update'],
  'sso.required_disabled': [6003, 'Update'],
  'scim.token_created': [3001, 'Create'],
  'scim.token_revoked': [3001, 'Disable'],
  'scim.user_created': [3001, 'Create'],
  'scim.user_updated': [6003, 'Update'],
  'scim.user_deactivated': [3001, 'Disable'],
  'scim.user_deleted': [3001, 'Delete'],
  'scim.group_created': [6003, 'Create'],
  'scim.group_updated': [6003, 'Update'],
  'scim.group_deleted': [6003, 'Delete'],
  'scim.group_mapped': [3005, 'Assign Privileges'],
};

describe('OCSF mapping', () => {
  it('names every class and activity exactly as the schema does', () => {
    for (const [uid, cls] of Object.entries(SCHEMA)) {
      expect(OCSF_CLASSES[Number(uid) as keyof typeof OCSF_CLASSES].name).toBe(cls.caption);
      for (const [id, caption] of Object.entries(cls.activities)) expect([uid, id, OCSF_ACTIVITIES[Number(uid) as keyof typeof OCSF_ACTIVITIES][Number(id)]]).toEqual([uid, id, caption]);
    }
  });

  it('maps every platform action, row by row, to the activity the schema means', () => {
    expect(Object.keys(PLATFORM_ACTIONS).filter((a) => !(a in OCSF_PLATFORM_ACTIONS))).toEqual([]);
    for (const [action, [classUid, caption]] of Object.entries(EXPECTED)) {
      const m = ocsfMappingOf(action);
      const schemaId = Number(Object.entries(SCHEMA[classUid].activities).find(([, c]) => c === caption)?.[0]);
      expect([action, m.class_uid, m.activity_id, m.activity_name]).toEqual([action, classUid, schemaId, caption]);
    }
    expect(Object.keys(OCSF_PLATFORM_ACTIONS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('reads a tenant action as API Activity from its verb', () => {
    expect(ocsfMappingOf('document.deleted')).toMatchObject({ class_uid: 6003, activity_name: 'Delete' });
    expect(ocsfMappingOf('report.exported')).toMatchObject({ class_uid: 6003, activity_name: 'Read' });
    expect(ocsfMappingOf('rocket.launch')).toMatchObject({ class_uid: 6003, activity_id: 99, activity_name: 'Other' });
  });
});
