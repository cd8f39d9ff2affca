import { Alert, Button, Code, CopyButton, Group, MultiSelect, Paper, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, formText, problemText, type WorkspaceView } from '../lib/api';

interface TokenView {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

interface GroupView {
  id: string;
  display_name: string;
  role: 'owner' | 'admin' | 'member' | null;
  workspace_ids: string[];
  members: number;
}

const ROLE_OPTIONS = [
  { value: '', label: 'Grants nothing' },
  { value: 'owner', label: 'Owner' },
  { value: 'admin', label: 'Admin' },
  { value: 'member', label: 'Member (admin of chosen workspaces)' },
];

/** One SCIM group's mapping to a role (and workspaces). */
function GroupRow({ g, workspaces }: { g: GroupView; workspaces: WorkspaceView[] }) {
  const qc = useQueryClient();
  const [role, setRole] = useState<string>(g.role ?? '');
  const [ws, setWs] = useState<string[]>(g.workspace_ids);
  const save = useMutation({
    mutationFn: () => api('PUT', `/v1/scim/groups/${g.id}`, { role: role || null, workspace_ids: role === 'member' ? ws : [] }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['scim-groups'] }),
  });
  const dirty = role !== (g.role ?? '') || JSON.stringify(ws) !== JSON.stringify(g.workspace_ids);
  return (
    <Table.Tr data-testid="scim-group-row">
      <Table.Td>
        {g.display_name}{' '}
        <Text span c="dimmed" size="sm">
          ({g.members} {g.members === 1 ? 'person' : 'people'})
        </Text>
      </Table.Td>
      <Table.Td>
        <Select aria-label={`Role for ${g.display_name}`} data={ROLE_OPTIONS} value={role} onChange={(v) => setRole(v ?? '')} allowDeselect={false} w={260} />
      </Table.Td>
      <Table.Td>
        {role === 'member' && <MultiSelect aria-label={`Workspaces for ${g.display_name}`} data={workspaces.map((w) => ({ value: w.id, label: w.name }))} value={ws} onChange={setWs} w={260} />}
      </Table.Td>
      <Table.Td>
        <Button size="xs" onClick={() => save.mutate()} disabled={!dirty} loading={save.isPending}>
          Save
        </Button>
        {save.error && (
          <Text size="xs" c="red" role="alert">
            {problemText(save.error)}
          </Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

/** SCIM provisioning: tokens for the identity provider, and what each of its groups grants. */
export function ScimSection() {
  const qc = useQueryClient();
  const origin = window.location.origin;
  const tokens = useQuery({ queryKey: ['scim-tokens'], queryFn: () => api<{ data: TokenView[] }>('GET', '/v1/scim/tokens') });
  const groups = useQuery({ queryKey: ['scim-groups'], queryFn: () => api<{ data: GroupView[] }>('GET', '/v1/scim/groups') });
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: () => api<{ data: WorkspaceView[] }>('GET', '/v1/workspaces') });
  const [shown, setShown] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (name: string) => api<{ token: string }>('POST', '/v1/scim/tokens', { name }),
    onSuccess: (r) => {
      setShown(r.token);
      void qc.invalidateQueries({ queryKey: ['scim-tokens'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api('DELETE', `/v1/scim/tokens/${id}`),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['scim-tokens'] }),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    create.mutate(formText(new FormData(e.currentTarget), 'name'));
    e.currentTarget.reset();
  };
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="scim-title">
      <Stack>
        <Title order={3} id="scim-title">
          SCIM provisioning
        </Title>
        <Text size="sm">
          Your identity provider (Okta, Microsoft Entra ID…) can add, change and deactivate members here. Give it the base URL{' '}
          <Code>{`${origin}/scim/v2`}</Code> and a token. Deactivating a person ends their sessions in this account at once.
        </Text>
        <form onSubmit={submit} aria-label="Create a SCIM token">
          <Group align="end">
            <TextInput name="name" label="Token name" placeholder="Okta production" required />
            <Button type="submit" loading={create.isPending}>
              Create token
            </Button>
          </Group>
        </form>
        {shown && (
          <Alert color="yellow" title="Copy the token now: it is shown this once" withCloseButton onClose={() => setShown(null)} closeButtonLabel="Hide">
            <Group>
              <Code data-testid="scim-token">{shown}</Code>
              <CopyButton value={shown}>{({ copied, copy }) => <Button size="xs" onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
            </Group>
          </Alert>
        )}
        {(create.error || revoke.error) && <Alert color="red">{problemText(create.error ?? revoke.error)}</Alert>}
        {(tokens.data?.data.length ?? 0) > 0 && (
          <Table aria-label="SCIM tokens">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tokens.data?.data.map((tk) => (
                <Table.Tr key={tk.id} data-testid="scim-token-row">
                  <Table.Td>{tk.name}</Table.Td>
                  <Table.Td>{new Date(tk.created_at).toLocaleString()}</Table.Td>
                  <Table.Td>{tk.last_used_at ? new Date(tk.last_used_at).toLocaleString() : 'Never'}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="subtle" color="red" onClick={() => revoke.mutate(tk.id)} aria-label={`Revoke ${tk.name}`}>
                      Revoke
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Title order={4}>Groups</Title>
        {(groups.data?.data.length ?? 0) === 0 ? (
          <Text size="sm" c="dimmed">
            Groups your identity provider pushes appear here; map each to what it grants.
          </Text>
        ) : (
          <Table aria-label="SCIM groups">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Group</Table.Th>
                <Table.Th>Grants</Table.Th>
                <Table.Th>Workspaces</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {groups.data?.data.map((g) => <GroupRow key={`${g.id}-${g.role}-${g.workspace_ids.join()}`} g={g} workspaces={workspaces.data?.data ?? []} />)}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Paper>
  );
}
