import { type LogAccessor, isAccountAdmin, readsAnyLog } from '@audit-trail/audit-core/browser';
import type { ComponentType } from 'react';
import { ExportsPage } from './exports/exports';
import type { Account } from './lib/api';
import { AuditLogPage } from './pages/AuditLogPage';

/** What every page gets. */
export interface PageProps {
  account: Account;
  /** An API key, owner or admin: may change account-wide settings. */
  isAdmin: boolean;
}

/**
 * Who sees a page: everyone signed in; people (not API keys); whoever reads at least one log; or
 * account admins, with (`admins-with-log`) or without the audit log on the plan.
 */
export type PageAccess = 'everyone' | 'people' | 'log-readers' | 'admins-with-log' | 'admins';

export interface ConsolePage {
  path: string;
  /** The nav entry, and the page's level-2 heading (the accessibility test looks for it). */
  label: string;
  access: PageAccess;
  /** The page: in the first bundle (the log people open, and the exports it shares code with), or loaded when first visited. */
  page: { eager: ComponentType<PageProps> } | { load: () => Promise<{ default: ComponentType<PageProps> }> };
}

/**
 * Every page of the signed-in console, in nav order. A new page is one entry
 * here: the navigation, the routes, the access rule and the accessibility
 * test all read this list.
 */
export const PAGES: ConsolePage[] = [
  { path: '/audit-log', label: 'Audit Log', access: 'log-readers', page: { eager: AuditLogPage } },
  { path: '/exports', label: 'Exports', access: 'log-readers', page: { eager: ExportsPage } },
  { path: '/forwarding', label: 'Forwarding', access: 'admins-with-log', page: { load: () => import('./forwarding/forwarding-page').then((m) => ({ default: m.ForwardingPage })) } },
  { path: '/integrity', label: 'Integrity', access: 'admins-with-log', page: { load: () => import('./integrity/integrity-page').then((m) => ({ default: m.IntegrityPage })) } },
  { path: '/retention', label: 'Retention', access: 'admins-with-log', page: { load: () => import('./retention/retention-page').then((m) => ({ default: m.RetentionPage })) } },
  { path: '/catalog', label: 'Catalog', access: 'log-readers', page: { load: () => import('./catalog/catalog-page').then((m) => ({ default: m.CatalogPage })) } },
  { path: '/api-keys', label: 'API Keys', access: 'admins', page: { load: () => import('./admin/api-keys-page').then((m) => ({ default: m.ApiKeysPage })) } },
  { path: '/members', label: 'Members', access: 'admins', page: { load: () => import('./admin/members-page').then((m) => ({ default: m.MembersPage })) } },
  { path: '/workspaces', label: 'Workspaces', access: 'admins', page: { load: () => import('./admin/workspaces-page').then((m) => ({ default: m.WorkspacesPage })) } },
  { path: '/security', label: 'Security', access: 'admins', page: { load: () => import('./account/security-page').then((m) => ({ default: m.SecurityPage })) } },
  { path: '/account', label: 'Your account', access: 'people', page: { load: () => import('./account/account-page').then((m) => ({ default: m.AccountPage })) } },
  { path: '/billing', label: 'Billing', access: 'everyone', page: { load: () => import('./pages/BillingPage').then((m) => ({ default: m.BillingPage })) } },
];

/** The signed-in person (or key) as the shared log-access rule sees them. */
export function accessorOf(account: Pick<Account, 'me'>): LogAccessor {
  const me = account.me;
  return {
    kind: me.kind === 'api_key' ? 'api_key' : 'session',
    role: me.role === 'owner' || me.role === 'admin' || me.role === 'member' ? me.role : null,
    adminWorkspaceIds: me.admin_workspace_ids ?? [],
  };
}

/** May this account's caller open the page? The same rule the API enforces, so the nav never offers a 404. */
export function mayOpen(page: Pick<ConsolePage, 'access'>, account: Pick<Account, 'me' | 'audit_log_enabled'>): boolean {
  const who = accessorOf(account);
  switch (page.access) {
    case 'everyone':
      return true;
    case 'people':
      return who.kind === 'session';
    case 'log-readers':
      return account.audit_log_enabled && readsAnyLog(who);
    case 'admins-with-log':
      return account.audit_log_enabled && isAccountAdmin(who);
    case 'admins':
      return isAccountAdmin(who);
  }
}
