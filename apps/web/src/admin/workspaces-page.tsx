import { Alert, Button, Group, Modal, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { api, type WorkspaceView, problemText } from '../lib/api';
import { useToast } from '../lib/toast';
import { Confirm, RowAction } from './confirm';
import { ListSkeleton } from '../lib/skeleton';

export function WorkspacesPage() {
  const qc = useQueryClient();
  const toast = useToast();
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: () => api<{ data: WorkspaceView[] }>('GET', '/v1/workspaces') });
  const [editing, setEditing] = useState<WorkspaceView | 'new' | null>(null);
  const [deleting, setDeleting] = useState<WorkspaceView | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['workspaces'] });
  const save = useMutation({
    mutationFn: (name: string) => (editing === 'new' ? api('POST', '/v1/workspaces', { name }) : api('PATCH', `/v1/workspaces/${(editing as WorkspaceView).id}`, { name })),
    onSuccess: () => {
      toast(editing === 'new' ? 'Workspace created.' : 'Workspace renamed.');
      setEditing(null);
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (w: WorkspaceView) => api('DELETE', `/v1/workspaces/${w.id}`),
    onSuccess: () => {
      setDeleting(null);
      toast('Workspace deleted; its events are kept.');
      refresh();
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = new FormData(e.currentTarget).get('name');
    save.mutate(typeof name === 'string' ? name : '');
  };
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Workspaces</Title>
        <Button onClick={() => setEditing('new')}>Create workspace</Button>
      </Group>
      {workspaces.error && <Alert color="red">{problemText(workspaces.error)}</Alert>}
      {workspaces.isLoading && <ListSkeleton label="Loading workspaces" />}
      <Table withTableBorder aria-label="Workspaces">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(workspaces.data?.data ?? []).map((w) => (
            <Table.Tr key={w.id} data-testid="workspace-row">
              <Table.Td>{w.name}</Table.Td>
              <Table.Td>{new Date(w.created_at).toLocaleDateString()}</Table.Td>
              <Table.Td>
                <Group gap={4} wrap="nowrap" justify="flex-end">
                  <Button size="xs" variant="light" color="gray" component={Link} to={`/audit-log?scope=workspace&workspace_id=${w.id}`}>
                    Log
                  </Button>
                  <RowAction onClick={() => setEditing(w)}>Rename</RowAction>
                  <RowAction danger onClick={() => setDeleting(w)}>
                    Delete
                  </RowAction>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'Create a workspace' : 'Rename workspace'}>
        <form onSubmit={submit} aria-label="Workspace name" key={editing === 'new' ? 'new' : editing?.id}>
          <Stack>
            <TextInput label="Name" name="name" required defaultValue={editing && editing !== 'new' ? editing.name : ''} />
            {save.error && <Alert color="red">{problemText(save.error)}</Alert>}
            <Group justify="flex-end">
              <Button type="submit" loading={save.isPending}>
                Save
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
      <Confirm
        opened={deleting !== null}
        title="Delete this workspace?"
        body={`“${deleting?.name ?? ''}” is removed; its audit events are kept and stay in exports.`}
        action="Delete workspace"
        onConfirm={() => deleting && remove.mutate(deleting)}
        onClose={() => setDeleting(null)}
        pending={remove.isPending}
        error={remove.error}
      />
      <Text size="xs" c="dimmed">
        Each workspace has its own log; workspace admins see only the logs of their workspaces.
      </Text>
    </Stack>
  );
}
