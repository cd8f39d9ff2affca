/**
 * Who may read and administer which log: one rule for the API's guards, its
 * services and the console's navigation.
 *
 * An API key reads every log unless it is bound to one workspace. An owner or
 * admin reads every log of the account. A member reads only the logs of the
 * workspaces they administer, and never the account log.
 */
export interface LogAccessor {
  kind: 'api_key' | 'session';
  /** An API key bound to one workspace. */
  boundWorkspaceId?: string | null;
  role?: 'owner' | 'admin' | 'member' | null;
  adminWorkspaceIds?: readonly string[] | null;
}

/** An API key, or an owner or admin: administers the account (keys, members, workspaces, account-wide settings). */
export function isAccountAdmin(p: LogAccessor): boolean {
  return p.kind === 'api_key' || p.role === 'owner' || p.role === 'admin';
}

/** Can `p` read the log of `workspaceId` (null: the account log)? */
export function canAccessLog(p: LogAccessor, workspaceId: string | null): boolean {
  if (p.kind === 'api_key') return !p.boundWorkspaceId || p.boundWorkspaceId === workspaceId;
  if (p.role === 'owner' || p.role === 'admin') return true;
  return workspaceId !== null && (p.adminWorkspaceIds ?? []).includes(workspaceId);
}

/** Can `p` read at least one log? */
export function readsAnyLog(p: LogAccessor): boolean {
  return isAccountAdmin(p) || (p.adminWorkspaceIds?.length ?? 0) > 0;
}
