import { Alert, Badge, Button, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, problemText } from '../lib/api';
import { ListSkeleton } from '../lib/skeleton';
import type { PageProps } from '../pages';
import { TwoFactorCard } from './two-factor';

interface SessionView {
  id: string;
  account_name: string;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  current: boolean;
}

/** A short name for a browser from its user agent. */
function device(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : ua.split(/[ /]/)[0];
  const os = /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Linux/.test(ua) ? 'Linux' : null;
  return os ? `${browser} on ${os}` : browser;
}

/** Your own sign-in: two-factor, and every session you have open. */
export function AccountPage({ account }: PageProps) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: () => api<{ data: SessionView[] }>('GET', '/v1/auth/sessions') });
  const end = useMutation({
    mutationFn: (s: SessionView) => api('DELETE', `/v1/auth/sessions/${s.id}`),
    onSuccess: async (_r, s) => {
      if (s.current) {
        qc.clear();
        void navigate('/login');
        return;
      }
      await qc.invalidateQueries({ queryKey: ['sessions'] });
    },
  });
  return (
    <Stack>
      <Title order={2}>Your account</Title>
      <Text c="dimmed">{account.me.email}</Text>
      <TwoFactorCard enabled={Boolean(account.me.mfa_enabled)} />
      <Paper withBorder p="md" component="section" aria-labelledby="sessions-title">
        <Stack>
          <Title order={3} id="sessions-title">
            Sessions
          </Title>
          <Text size="sm" c="dimmed">
            Every browser signed in as you, in every account. Sign out of any you do not recognise.
          </Text>
          {end.error && <Alert color="red">{problemText(end.error)}</Alert>}
          {sessions.isLoading ? (
            <ListSkeleton />
          ) : (
            <Table aria-label="Your sessions">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Device</Table.Th>
                  <Table.Th>IP address</Table.Th>
                  <Table.Th>Account</Table.Th>
                  <Table.Th>Last seen</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(sessions.data?.data ?? []).map((s) => (
                  <Table.Tr key={s.id} data-testid="session-row">
                    <Table.Td>
                      {device(s.user_agent)} {s.current && <Badge variant="light">This session</Badge>}
                    </Table.Td>
                    <Table.Td>{s.ip ?? '—'}</Table.Td>
                    <Table.Td>{s.account_name}</Table.Td>
                    <Table.Td title={s.last_seen_at}>{new Date(s.last_seen_at).toLocaleString()}</Table.Td>
                    <Table.Td>
                      <Button size="xs" variant="subtle" color="red" onClick={() => end.mutate(s)} aria-label={`Sign out ${device(s.user_agent)}${s.current ? ' (this session)' : ''}`}>
                        Sign out
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      </Paper>
    </Stack>
  );
}
