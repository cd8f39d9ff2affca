/**
 * The built-in catalog: every action falls into a category (the "event type"
 * people filter by). Actions are matched by their first segment; anything
 * unknown is `custom` unless the tenant registered it.
 */
export interface CategoryInfo {
  id: string;
  name: string;
  description: string;
  /** First segments of actions that belong here. */
  prefixes: string[];
}

export const CUSTOM_CATEGORY = 'custom';

export const CATEGORIES: readonly CategoryInfo[] = [
  { id: 'authentication', name: 'Authentication', description: 'Sign-ins, sign-outs and failed sign-ins.', prefixes: ['auth', 'login', 'session', 'sso', 'mfa'] },
  { id: 'members', name: 'Members', description: 'Users, invitations, roles and removals.', prefixes: ['user', 'member', 'invitation', 'role', 'scim'] },
  { id: 'api_keys', name: 'API keys', description: 'API keys created, rotated and revoked.', prefixes: ['api_key'] },
  { id: 'workspaces', name: 'Workspaces', description: 'Workspaces created, renamed and deleted.', prefixes: ['workspace'] },
  { id: 'billing', name: 'Billing', description: 'Plan changes, subscriptions and invoices.', prefixes: ['plan', 'billing', 'subscription', 'invoice'] },
  { id: 'exports', name: 'Exports', description: 'Audit-log exports requested and downloaded.', prefixes: ['export'] },
  { id: 'forwarding', name: 'Forwarding', description: 'Forwarding destinations and their deliveries.', prefixes: ['destination'] },
  { id: 'retention', name: 'Retention', description: 'Retention purges and legal holds.', prefixes: ['retention', 'legal_hold'] },
  { id: 'integrity', name: 'Integrity', description: 'Sealing, checkpoints and verification.', prefixes: ['integrity'] },
  { id: 'access', name: 'Log access', description: 'Reads of the audit log itself: entries opened, logs read, proofs downloaded.', prefixes: ['event', 'log', 'proof', 'viewer_token'] },
  { id: 'settings', name: 'Settings', description: 'Configuration changes such as SMTP, domains and webhooks.', prefixes: ['settings', 'smtp', 'domain', 'webhook', 'config', 'catalog'] },
  { id: 'integrations', name: 'Integrations', description: 'Connected apps and integrations.', prefixes: ['integration', 'oauth_app', 'app'] },
  { id: 'content', name: 'Content', description: 'Content created, changed or deleted inside a workspace.', prefixes: ['content', 'project', 'document', 'template', 'campaign', 'message'] },
  { id: CUSTOM_CATEGORY, name: 'Custom', description: 'Actions not in the catalog.', prefixes: [] },
];

/** Descriptions of the actions the platform itself records. */
export const PLATFORM_ACTIONS: Readonly<Record<string, string>> = {
  'user.signed_up': 'A person created an account.',
  'auth.login': 'A user signed in to the console.',
  'auth.login_failed': 'A sign-in attempt failed.',
  'auth.logout': 'A user signed out.',
  'api_key.created': 'An API key was created.',
  'api_key.rotated': 'An API key was rotated; the old secret stopped working.',
  'api_key.revoked': 'An API key was revoked.',
  'member.invited': 'A person was invited to the account.',
  'member.joined': 'An invited person accepted and joined.',
  'member.role_changed': "A member's role or workspaces changed.",
  'member.removed': 'A member was removed from the account.',
  'workspace.created': 'A workspace was created.',
  'workspace.renamed': 'A workspace was renamed.',
  'workspace.deleted': 'A workspace was deleted.',
  'plan.changed': "The account's plan changed.",
  'export.requested': 'An export of the audit log was requested.',
  'export.downloaded': 'An export file was downloaded.',
  'destination.created': 'A forwarding destination was created.',
  'destination.updated': 'A forwarding destination was changed.',
  'destination.deleted': 'A forwarding destination was deleted.',
  'destination.disabled': 'A forwarding destination was disabled after failing.',
  'destination.replayed': 'A time range was queued for re-delivery to a destination.',
  'retention.purged': 'Events older than the retention period were purged.',
  'legal_hold.placed': 'A legal hold was placed: retention deletes nothing in its scope.',
  'legal_hold.released': 'A legal hold was released.',
  'catalog.action_registered': 'An action of your own was registered in the catalog.',
  'catalog.action_updated': "A registered action's category, description or metadata schema changed.",
  'catalog.action_removed': 'A registered action was removed from the catalog.',
  'event.viewed': 'One entry of the audit log was opened.',
  'log.viewed': 'An audit log was read (one entry per reader, log and filters per 15 minutes, with the pages read).',
  'integrity.verified': 'A log was verified against its signed checkpoints.',
  'proof.downloaded': "An entry's inclusion proof was downloaded.",
  'integrity.anomaly': 'The sealer refused a row: it was written into sealed history.',
  'destination.tested': 'A test event was sent to a forwarding destination.',
  'billing.checkout_started': 'A checkout for a plan was started.',
  'billing.portal_opened': 'The billing portal was opened.',
  'auth.locked_out': 'Sign-in was locked for an address after too many attempts.',
  'member.invitation_revoked': 'A pending invitation was revoked.',
  'mfa.enabled': 'A person turned on two-factor sign-in (TOTP) and received recovery codes.',
  'mfa.disabled': 'A person turned off two-factor sign-in.',
  'mfa.required_enabled': 'The account now requires two-factor sign-in of every password user.',
  'mfa.required_disabled': 'The account no longer requires two-factor sign-in.',
  'auth.mfa_failed': 'A sign-in gave the right password but a wrong or reused second factor.',
  'auth.password_reset_requested': 'A password-reset email was asked for.',
  'auth.password_reset_completed': 'A password was reset with an emailed link; every session of the person ended.',
  'session.revoked': 'Console sessions were ended: by their owner, or by an admin for a member.',
  'scim.token_created': 'A SCIM token was created for an identity provider.',
  'scim.token_revoked': 'A SCIM token was revoked.',
  'scim.user_created': 'An identity provider added a person to the account (SCIM).',
  'scim.user_updated': "An identity provider changed a member's details (SCIM).",
  'scim.user_deactivated': 'An identity provider deactivated a member; their sessions in the account ended (SCIM).',
  'scim.user_deleted': 'An identity provider removed a member from the account (SCIM).',
  'scim.group_created': 'An identity provider created a group (SCIM).',
  'scim.group_updated': "An identity provider changed a group's name or members (SCIM).",
  'scim.group_deleted': 'An identity provider deleted a group (SCIM).',
  'scim.group_mapped': 'An admin mapped a SCIM group to a role and workspaces.',
  'sso.configured': 'Single sign-on was set up or changed (OpenID Connect or SAML; secrets are never recorded).',
  'sso.removed': 'The single sign-on connection was removed.',
  'sso.domain_added': 'An email domain was added for single sign-on; it waits for its DNS record.',
  'sso.domain_verified': "An email domain's DNS record was found: sign-ins with that domain go to this account's single sign-on.",
  'sso.domain_removed': 'An email domain was removed from single sign-on.',
  'sso.required_enabled': 'Members must now sign in with single sign-on; owners keep password and second factor.',
  'sso.required_disabled': 'Members may sign in with a password again.',
  'viewer_token.created': "A viewer token was issued: one of the tenant's own customers may read a slice of a log for a short time.",
};

const byPrefix = new Map<string, string>();
for (const c of CATEGORIES) for (const p of c.prefixes) byPrefix.set(p, c.id);

export function isCategory(id: string): boolean {
  return CATEGORIES.some((c) => c.id === id);
}

/**
 * The category of an action: the tenant's own registration first, then the
 * built-in catalog by first segment, then `custom`.
 */
export function categoryOf(action: string, tenantCatalog?: ReadonlyMap<string, string>): string {
  const registered = tenantCatalog?.get(action);
  if (registered) return registered;
  const first = action.slice(0, action.indexOf('.'));
  return byPrefix.get(first) ?? CUSTOM_CATEGORY;
}
