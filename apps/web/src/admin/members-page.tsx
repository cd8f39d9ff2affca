import { Alert, Button, Code, CopyButton, Group, Modal, MultiSelect, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { type Account, api, type WorkspaceView, problemText } from '../lib/api';
import { useToast } from '../lib/toast';
import { Confirm, RowAction } from './confirm';
import { ListSkeleton } from '../lib/skeleton';

interface MemberView {
  id: string;
  user_id: string;
  email: string | null;
  name: string | null;
  role: 'owner' | 'admin' | 'member';
  workspace_ids: string[];
}
interface InvitationView {
  id: string;
  email: string;
  role: string;
  workspace_ids: string[];
  expires_at: string;
}

const ROLES = [
  { value: 'owner', label: 'Owner' },
  { value: 'admin', label: 'Admin' },
  { value: 'member', label: 'Member (admin of chosen workspaces)' },
];

export function MembersPage({ account }: { account: Account }) {
  const qc = useQueryClient();
  const toast = useToast();
  const members = useQuery({ queryKey: ['members'], queryFn: () => api<{ data: MemberView[]; invitations: InvitationView[] }>('GET', '/v1/members') });
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: () => api<{ data: WorkspaceView[] }>('GET', '/v1/workspaces') });
  const [inviting, setInviting] = useState(false);
  const [invite, setInvite] = useState<{ role: string | null; workspaceIds: string[] }>({ role: 'member', workspaceIds: [] });
  const [link, setLink] = useState<string | null>(null);
  const [removing, setRemoving] = useState<MemberView | null>(null);
  const [withdrawing, setWithdrawing] = useState<InvitationView | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['members'] });
  const wsOptions = (workspaces.data?.data ?? []).map((w) => ({ value: w.id, label: w.name }));
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<{ token: string; email: string }>('POST', '/v1/members/invitations', body),
    onSuccess: (r) => {
      setInviting(false);
      setLink(`${window.location.origin}/invitations/${r.token}`);
      refresh();
    },
  });
  const change = useMutation({
    mutationFn: ({ m, role, workspaceIds }: { m: MemberView; role: string; workspaceIds: string[] }) => api('PATCH', `/v1/members/${m.id}`, { role, workspace_ids: workspaceIds }),
    onSuccess: () => {
      toast('Role changed.');
      refresh();
    },
    onError: (err) => toast(problemText(err), 'red'),
  });
  const remove = useMutation({
    mutationFn: (m: MemberView) => api('DELETE', `/v1/members/${m.id}`),
    onSuccess: () => {
      setRemoving(null);
      toast('Member removed; their sessions ended.');
      refresh();
    },
  });
  const withdraw = useMutation({
    mutationFn: (i: InvitationView) => api('DELETE', `/v1/members/invitations/${i.id}`),
    onSuccess: (_r, i) => {
      setWithdrawing(null);
      toast(`Invitation for ${i.email} revoked; its link no longer works.`);
      refresh();
    },
  });
  const endSessions = useMutation({
    mutationFn: (m: MemberView) => api<{ sessions_ended: number }>('DELETE', `/v1/members/${m.id}/sessions`),
    onSuccess: (r, m) => toast(`${r.sessions_ended} ${r.sessions_ended === 1 ? 'session' : 'sessions'} of ${m.email ?? 'the member'} ended.`),
    onError: (err) => toast(problemText(err), 'red'),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const email = new FormData(e.currentTarget).get('email');
    create.mutate({ email: typeof email === 'string' ? email : '', role: invite.role, workspace_ids: invite.workspaceIds });
  };
  const isOwner = account.me.role === 'owner';
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Members</Title>
        <Button onClick={() => setInviting(true)}>Invite</Button>
      </Group>
      {members.error && <Alert color="red">{problemText(members.error)}</Alert>}
      {members.isLoading && <ListSkeleton label="Loading members" />}
      <Table withTableBorder aria-label="Members">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Person</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Workspaces administered</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(members.data?.data ?? []).map((m) => (
            <Table.Tr key={m.id} data-testid="member-row">
              <Table.Td>
                <Text fw={500}>
                  {m.name ?? m.email}
                  {m.user_id === account.me.user_id && (
                    <Text span size="xs" c="dimmed">
                      {' '}
                      (you)
                    </Text>
                  )}
                </Text>
                {m.name && m.email && (
                  <Text size="xs" c="dimmed">
                    {m.email}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Select
                  aria-label={`Role of ${m.email ?? m.name ?? ''}`}
                  value={m.role}
                  data={isOwner ? ROLES : ROLES.filter((r) => r.value !== 'owner')}
                  // Your own role is not yours to change here (an owner could lock the account out); another owner changes it.
                  disabled={m.user_id === account.me.user_id || (m.role === 'owner' && !isOwner)}
                  title={m.user_id === account.me.user_id ? 'Your own role is changed by another owner' : undefined}
                  allowDeselect={false}
                  onChange={(role) => role && role !== m.role && change.mutate({ m, role, workspaceIds: m.workspace_ids })}
                />
              </Table.Td>
              <Table.Td>
                {m.role === 'member' ? (
                  <MultiSelect
                    aria-label={`Workspaces ${m.email ?? ''} administers`}
                    data={wsOptions}
                    value={m.workspace_ids}
                    onChange={(ids) => change.mutate({ m, role: m.role, workspaceIds: ids })}
                  />
                ) : (
                  <Text size="sm" c="dimmed">
                    All
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Group gap={4} wrap="nowrap" justify="flex-end">
                  <RowAction onClick={() => endSessions.mutate(m)} disabled={m.user_id === account.me.user_id} aria-label={`End sessions of ${m.email ?? 'member'}`}>
                    End sessions
                  </RowAction>
                  <RowAction danger onClick={() => setRemoving(m)} disabled={m.user_id === account.me.user_id}>
                    Remove
                  </RowAction>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {(members.data?.invitations.length ?? 0) > 0 && (
        <>
          <Title order={3} size="h4">
            Pending invitations
          </Title>
          <Table withTableBorder aria-label="Pending invitations">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Email</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Workspaces administered</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {members.data?.invitations.map((i) => (
                <Table.Tr key={i.id} data-testid="invitation-row">
                  <Table.Td>{i.email}</Table.Td>
                  <Table.Td>{ROLES.find((r) => r.value === i.role)?.label.replace(/ \(.*\)$/, '') ?? i.role}</Table.Td>
                  <Table.Td>{i.role === 'member' ? i.workspace_ids.map((id) => wsOptions.find((w) => w.value === id)?.label ?? id).join(', ') || 'None' : 'All'}</Table.Td>
                  <Table.Td>{new Date(i.expires_at).toLocaleDateString()}</Table.Td>
                  <Table.Td>
                    <Group justify="flex-end">
                      <RowAction danger onClick={() => setWithdrawing(i)} aria-label={`Revoke invitation for ${i.email}`}>
                        Revoke
                      </RowAction>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      )}
      <Modal opened={inviting} onClose={() => setInviting(false)} title="Invite a person">
        <form onSubmit={submit} aria-label="Invite a person">
          <Stack>
            <TextInput label="Email" name="email" type="email" required />
            <Select label="Role" value={invite.role} onChange={(role) => setInvite((v) => ({ ...v, role }))} data={isOwner ? ROLES : ROLES.filter((r) => r.value !== 'owner')} allowDeselect={false} />
            {invite.role === 'member' && (
              <MultiSelect label="Admin of these workspaces" data={wsOptions} value={invite.workspaceIds} onChange={(ids) => setInvite((v) => ({ ...v, workspaceIds: ids }))} />
            )}
            {create.error && <Alert color="red">{problemText(create.error)}</Alert>}
            <Group justify="flex-end">
              <Button type="submit" loading={create.isPending}>
                Create invitation
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
      <Modal opened={link !== null} onClose={() => setLink(null)} title="Invitation created">
        <Stack>
          <Text size="sm">Send this link to the person; it is shown once and works for seven days.</Text>
          <Code block data-testid="invitation-link">
            {link}
          </Code>
          <CopyButton value={link ?? ''}>{({ copied, copy }) => <Button onClick={copy}>{copied ? 'Copied' : 'Copy link'}</Button>}</CopyButton>
        </Stack>
      </Modal>
      <Confirm
        opened={withdrawing !== null}
        title="Revoke this invitation?"
        body={`The link sent to ${withdrawing?.email ?? ''} stops working. You can invite them again later.`}
        action="Revoke invitation"
        onConfirm={() => withdrawing && withdraw.mutate(withdrawing)}
        onClose={() => setWithdrawing(null)}
        pending={withdraw.isPending}
        error={withdraw.error}
      />
      <Confirm
        opened={removing !== null}
        title="Remove this member?"
        body={`${removing?.email ?? ''} loses access to this account at once; their sessions here end. Other accounts they belong to are not affected.`}
        action="Remove member"
        onConfirm={() => removing && remove.mutate(removing)}
        onClose={() => setRemoving(null)}
        pending={remove.isPending}
        error={remove.error}
      />
    </Stack>
  );
}
