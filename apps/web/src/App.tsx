import { isAccountAdmin } from '@audit-trail/audit-core/browser';
import { AppShell, Burger, Button, Center, Group, Loader, NavLink, Select, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { type ComponentType, lazy, Suspense } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Navigate, Route, Routes, useLocation, useNavigate, Link } from 'react-router';
import { type Account, api, ApiError, problemText } from './lib/api';
import { useToast } from './lib/toast';
import { AuthPage } from './pages/AuthPage';
import { accessorOf, mayOpen, PAGES, type PageProps } from './pages';

const AcceptInvitationPage = lazy(() => import('./admin/accept-invitation-page').then((m) => ({ default: m.AcceptInvitationPage })));
const ForgotPasswordPage = lazy(() => import('./account/password-reset-pages').then((m) => ({ default: m.ForgotPasswordPage })));
const ResetPasswordPage = lazy(() => import('./account/password-reset-pages').then((m) => ({ default: m.ResetPasswordPage })));
const TwoFactorCard = lazy(() => import('./account/two-factor').then((m) => ({ default: m.TwoFactorCard })));

/** Each registered page as a component: eager ones as they are, the rest loaded when first visited. */
const COMPONENTS = new Map<string, ComponentType<PageProps>>(PAGES.map((p) => [p.path, 'eager' in p.page ? p.page.eager : lazy(p.page.load)]));

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
          <Route path="/forgot-password" element={<ForgotPasswordPage />} />
          <Route path="/reset-password" element={<ResetPasswordPage />} />
          <Route path="*" element={<Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />} />
        </Routes>
      </Suspense>
    );
  }
  if (account.data.me.mfa_setup_required) return <MfaSetupRequired account={account.data} />;
  return <Shell account={account.data} />;
}

/** The account requires two-factor and this person has none yet: set it up first, nothing else. */
function MfaSetupRequired({ account }: { account: Account }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  return (
    <Center mih="100vh">
      <Stack w={480}>
        <Title order={2}>Set up two-factor sign-in</Title>
        <Text>{account.name} requires a second factor for everyone who signs in with a password. Set yours up to continue.</Text>
        <Suspense fallback={<Loader aria-label="Loading" />}>
          <TwoFactorCard enabled={false} />
        </Suspense>
        <Button
          variant="subtle"
          onClick={() =>
            void api('POST', '/v1/auth/logout')
              .catch(() => undefined)
              .then(() => {
                qc.clear();
                void navigate('/login');
              })
          }
        >
          Sign out
        </Button>
      </Stack>
    </Center>
  );
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
      w={{ base: '100%', sm: 260 }}
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
  const isAdmin = isAccountAdmin(accessorOf(account));
  const open = PAGES.filter((p) => mayOpen(p, account));
  const readsLogs = open.some((p) => p.path === '/audit-log');
  const signOut = async () => {
    await api('POST', '/v1/auth/logout').catch(() => undefined);
    qc.clear();
    void navigate('/login');
  };
  // Below the sm breakpoint the navigation folds behind a menu button and closes once a page is chosen.
  const [navOpen, nav] = useDisclosure(false);
  // The account switcher sits in the header on wide screens, at the top of the folded navigation on a phone.
  const wide = useMediaQuery('(min-width: 48em)', true) ?? true;
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !navOpen } }} padding={{ base: 'xs', sm: 'md' }}>
      <AppShell.Header>
        <Group h="100%" px={{ base: 'xs', sm: 'md' }} justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Burger opened={navOpen} onClick={nav.toggle} hiddenFrom="sm" size="sm" aria-label={navOpen ? 'Close navigation' : 'Open navigation'} />
            <Title order={3} style={{ whiteSpace: 'nowrap' }}>
              Audit Trail
            </Title>
          </Group>
          <Group gap="xs" wrap="nowrap">
            {wide && <AccountSwitcher account={account} />}
            <Button variant="subtle" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {!wide && (
          <Stack mb="xs">
            <AccountSwitcher account={account} />
          </Stack>
        )}
        {open.map((p) => (
          <NavLink key={p.path} component={Link} to={p.path} label={p.label} active={location.pathname.startsWith(p.path)} onClick={nav.close} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<PageSkeleton />}>
          <Routes>
            {PAGES.map((p) => {
              const Page = COMPONENTS.get(p.path) as ComponentType<PageProps>;
              return <Route key={p.path} path={p.path} element={mayOpen(p, account) ? <Page account={account} isAdmin={isAdmin} /> : <Navigate to="/" replace />} />;
            })}
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
