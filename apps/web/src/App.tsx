import { AppShell, Button, Center, Group, Loader, NavLink, Select, Skeleton, Stack, Text, Title } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Navigate, Route, Routes, useLocation, useNavigate, Link } from 'react-router';
import { type Account, api, ApiError, problemText } from './lib/api';
import { useToast } from './lib/toast';
import { ExportsPage } from './exports/exports';
import { AuditLogPage } from './pages/AuditLogPage';
import { AuthPage } from './pages/AuthPage';

// The log page is what people open; every other page loads when first visited.
const ForwardingPage = lazy(() => import('./forwarding/forwarding-page').then((m) => ({ default: m.ForwardingPage })));
const IntegrityPage = lazy(() => import('./integrity/integrity-page').then((m) => ({ default: m.IntegrityPage })));
const BillingPage = lazy(() => import('./pages/BillingPage').then((m) => ({ default: m.BillingPage })));
const RetentionPage = lazy(() => import('./retention/retention-page').then((m) => ({ default: m.RetentionPage })));
const AcceptInvitationPage = lazy(() => import('./admin/accept-invitation-page').then((m) => ({ default: m.AcceptInvitationPage })));
const ApiKeysPage = lazy(() => import('./admin/api-keys-page').then((m) => ({ default: m.ApiKeysPage })));
const MembersPage = lazy(() => import('./admin/members-page').then((m) => ({ default: m.MembersPage })));
const CatalogPage = lazy(() => import('./catalog/catalog-page').then((m) => ({ default: m.CatalogPage })));
const WorkspacesPage = lazy(() => import('./admin/workspaces-page').then((m) => ({ default: m.WorkspacesPage })));

/** What a page shows while its code or first data arrives. */
export function PageSkeleton() {
  return (
    <Stack aria-busy="true" aria-label="Loading">
      <Skeleton height={32} width="30%" />
      <Skeleton height={36} />
      {Array.from({ length: 6 }, (_, i) => (
        <Skeleton key={i} height={28} />
      ))}
    </Stack>
  );
}

export function App() {
  const account = useQuery({
    queryKey: ['account'],
    queryFn: async () => {
      try {
        return await api<Account>('GET', '/v1/account');
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
  });
  const location = useLocation();

  if (account.isLoading) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (!account.data) {
    return (
      <Suspense fallback={<PageSkeleton />}>
        <Routes>
          <Route path="/signup" element={<AuthPage mode="signup" />} />
          <Route path="/login" element={<AuthPage mode="login" />} />
          <Route path="/invitations/:token" element={<AcceptInvitationPage />} />
          <Route path="*" element={<Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />} />
        </Routes>
      </Suspense>
    );
  }
  return <Shell account={account.data} />;
}

/** The account's name and plan; for a person in several accounts, a menu to move between them. */
function AccountSwitcher({ account }: { account: Account }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const label = `${account.name} · ${account.plan_name}`;
  const list = account.accounts;
  if (list.length < 2) {
    return (
      <Text size="sm" c="dimmed">
        {label}
      </Text>
    );
  }
  const switchTo = async (id: string | null) => {
    if (!id || id === account.id) return;
    try {
      await api('POST', '/v1/auth/switch', { account_id: id });
      // Everything cached belongs to the account left behind.
      qc.clear();
      await navigate('/');
      toast(`Switched to ${list.find((a) => a.id === id)?.name ?? 'the account'}`);
    } catch (err) {
      toast(problemText(err), 'red');
    }
  };
  return (
    <Select
      aria-label="Account"
      size="sm"
      w={260}
      allowDeselect={false}
      value={account.id}
      onChange={(v) => void switchTo(v)}
      data={list.map((a) => ({ value: a.id, label: a.id === account.id ? label : `${a.name} (${a.role})` }))}
    />
  );
}

function Shell({ account }: { account: Account }) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const location = useLocation();
  const isAdmin = account.me.kind === 'api_key' || account.me.role === 'owner' || account.me.role === 'admin';
  // A member reads only the logs of workspaces they administer, and without any, no log at all.
  const readsLogs = account.audit_log_enabled && (isAdmin || (account.me.admin_workspace_ids?.length ?? 0) > 0);
  const logs = account.audit_log_enabled && isAdmin;
  const signOut = async () => {
    await api('POST', '/v1/auth/logout').catch(() => undefined);
    qc.clear();
    void navigate('/login');
  };
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm' }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Title order={3}>Audit Trail</Title>
          <Group>
            <AccountSwitcher account={account} />
            <Button variant="subtle" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {readsLogs && <NavLink component={Link} to="/audit-log" label="Audit Log" active={location.pathname.startsWith('/audit-log')} />}
        {readsLogs && <NavLink component={Link} to="/exports" label="Exports" active={location.pathname.startsWith('/exports')} />}
        {logs && <NavLink component={Link} to="/forwarding" label="Forwarding" active={location.pathname.startsWith('/forwarding')} />}
        {logs && <NavLink component={Link} to="/integrity" label="Integrity" active={location.pathname.startsWith('/integrity')} />}
        {logs && <NavLink component={Link} to="/retention" label="Retention" active={location.pathname.startsWith('/retention')} />}
        {readsLogs && <NavLink component={Link} to="/catalog" label="Catalog" active={location.pathname.startsWith('/catalog')} />}
        {isAdmin && <NavLink component={Link} to="/api-keys" label="API Keys" active={location.pathname.startsWith('/api-keys')} />}
        {isAdmin && <NavLink component={Link} to="/members" label="Members" active={location.pathname.startsWith('/members')} />}
        {isAdmin && <NavLink component={Link} to="/workspaces" label="Workspaces" active={location.pathname.startsWith('/workspaces')} />}
        <NavLink component={Link} to="/billing" label="Billing" active={location.pathname.startsWith('/billing')} />
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<PageSkeleton />}>
          <Routes>
            <Route path="/audit-log" element={readsLogs ? <AuditLogPage account={account} /> : <Navigate to="/" replace />} />
            <Route path="/exports" element={readsLogs ? <ExportsPage /> : <Navigate to="/" replace />} />
            <Route path="/forwarding" element={logs ? <ForwardingPage account={account} /> : <Navigate to="/" replace />} />
            <Route path="/integrity" element={logs ? <IntegrityPage account={account} /> : <Navigate to="/" replace />} />
            <Route path="/retention" element={logs ? <RetentionPage account={account} /> : <Navigate to="/" replace />} />
            <Route path="/catalog" element={readsLogs ? <CatalogPage canEdit={isAdmin} /> : <Navigate to="/" replace />} />
            <Route path="/api-keys" element={isAdmin ? <ApiKeysPage /> : <Navigate to="/" replace />} />
            <Route path="/members" element={isAdmin ? <MembersPage account={account} /> : <Navigate to="/" replace />} />
            <Route path="/workspaces" element={isAdmin ? <WorkspacesPage /> : <Navigate to="/" replace />} />
            <Route path="/billing" element={<BillingPage account={account} />} />
            <Route path="/invitations/:token" element={<AcceptInvitationPage />} />
            <Route
              path="*"
              element={
                readsLogs ? (
                  <Navigate to="/audit-log" replace />
                ) : !account.audit_log_enabled ? (
                  <Text>
                    Your plan ({account.plan_name}) does not include the audit log. Upgrade to {account.plans.find((p) => p.entitlements.audit_log)?.name ?? 'a paid plan'} or higher to see
                    who did what, and when.
                  </Text>
                ) : (
                  <Text>
                    As a member you read the logs of the workspaces you administer, and you administer none yet. An owner or admin can change that on the
                    Members page.
                  </Text>
                )
              }
            />
          </Routes>
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
