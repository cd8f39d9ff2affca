import { Alert, Anchor, Badge, Button, Checkbox, Code, CopyButton, Group, Modal, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { type Account, api, type AuditEvent, type EventPage, type WorkspaceView, problemText } from '../lib/api';
import { useToast } from '../lib/toast';
import { Confirm, RowAction } from './confirm';
import { ListSkeleton } from '../lib/skeleton';
import { ViewerTokensExplainer } from './viewer-tokens';

interface KeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  workspace_id: string | null;
  created_at: string;
  last_used_at: string | null;
  rotated_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

const SCOPES = [
  { value: 'events:write', label: 'events:write — send events' },
  { value: 'events:read', label: 'events:read — read the log' },
  { value: 'exports:write', label: 'exports:write — request exports' },
  { value: 'admin', label: 'admin — manage keys, destinations, members' },
];

/** A secret shown once, with a copy button. */
function ShownOnce({ secret, onClose }: { secret: string | null; onClose: () => void }) {
  return (
    <Modal opened={secret !== null} onClose={onClose} title="Your new API key">
      <Stack>
        <Text size="sm">Copy it now: it is shown this once, and only its hash is stored.</Text>
        <Code block data-testid="new-key">
          {secret}
        </Code>
        <CopyButton value={secret ?? ''}>
          {({ copied, copy }) => (
            <Button onClick={copy} color={copied ? 'teal' : undefined}>
              {copied ? 'Copied' : 'Copy key'}
            </Button>
          )}
        </CopyButton>
      </Stack>
    </Modal>
  );
}

/** Everything one key did, across every log: the events it sent and the administration it performed. */
function KeyActivity({ k, onClose }: { k: KeyView | null; onClose: () => void }) {
  const [entries, setEntries] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const load = async (id: string, after: string | null) => {
    setLoading(true);
    try {
      const page = await api<EventPage>('GET', `/v1/api-keys/${id}/activity?limit=50${after ? `&cursor=${encodeURIComponent(after)}` : ''}`);
      setEntries((prev) => (after ? [...prev, ...page.entries] : page.entries));
      setCursor(page.next_cursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    setEntries([]);
    setCursor(null);
    setError(null);
    if (k) void load(k.id, null);
  }, [k]);
  return (
    <Modal opened={k !== null} onClose={onClose} title={`Activity of “${k?.name ?? ''}”`} size="xl">
      <Stack>
        <Text size="sm" c="dimmed">
          Every log of the account, newest first: events this key sent (API) and administration it performed (Platform).
        </Text>
        {error !== null && <Alert color="red">{problemText(error)}</Alert>}
        {!loading && entries.length === 0 && error === null && <Text c="dimmed">This key has done nothing yet.</Text>}
        {entries.length > 0 && (
          <Table aria-label="Key activity">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Action</Table.Th>
                <Table.Th>Log</Table.Th>
                <Table.Th>Written by</Table.Th>
                <Table.Th>When</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {entries.map((e) => (
                <Table.Tr key={e.id} data-testid="activity-row">
                  <Table.Td>
                    <Anchor component={Link} to={`/audit-log?event=${e.id}${e.workspace_id ? `&scope=workspace&workspace_id=${e.workspace_id}` : ''}`} size="sm">
                      {e.action}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{e.workspace_id ? 'Workspace' : 'Account'}</Table.Td>
                  <Table.Td>
                    <Badge variant="outline" color={e.source === 'platform' ? 'indigo.8' : 'gray.7'}>
                      {e.source === 'platform' ? 'Platform' : 'API'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{new Date(e.occurred_at).toLocaleString()}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {cursor && k && (
          <Button variant="default" loading={loading} onClick={() => void load(k.id, cursor)}>
            Load more
          </Button>
        )}
      </Stack>
    </Modal>
  );
}

export function ApiKeysPage({ account }: { account: Account }) {
  const qc = useQueryClient();
  const toast = useToast();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => api<{ data: KeyView[] }>('GET', '/v1/api-keys?include=revoked') });
  const [activityOf, setActivityOf] = useState<KeyView | null>(null);
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: () => api<{ data: WorkspaceView[] }>('GET', '/v1/workspaces') });
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<KeyView | null>(null);
  const [rotating, setRotating] = useState<KeyView | null>(null);
  const [scopes, setScopes] = useState<string[]>(['events:write']);
  const [workspaceId, setWorkspaceId] = useState<string | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['api-keys'] });
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<KeyView & { key: string }>('POST', '/v1/api-keys', body),
    onSuccess: (k) => {
      setCreating(false);
      setSecret(k.key);
      refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: (k: KeyView) => api<{ key: string }>('POST', `/v1/api-keys/${k.id}/rotate`),
    onSuccess: (r) => {
      setRotating(null);
      setSecret(r.key);
      refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (k: KeyView) => api('DELETE', `/v1/api-keys/${k.id}`),
    onSuccess: (_r, k) => {
      setRevoking(null);
      toast(`Key “${k.name}” revoked; it stops working within a second.`);
      refresh();
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = new FormData(e.currentTarget).get('name');
    create.mutate({ name: typeof name === 'string' ? name : '', scopes, ...(workspaceId ? { workspace_id: workspaceId } : {}) });
  };
  // Who revoked a key: a member (by email) or another key (by name).
  const members = useQuery({ queryKey: ['members'], queryFn: () => api<{ data: { user_id: string; email: string | null; name: string | null }[] }>('GET', '/v1/members'), enabled: account.me.kind === 'user' });
  // Until the member list has loaded, say nothing rather than guess.
  const whoIs = (id: string): string | null => {
    if (members.isPending && account.me.kind === 'user') return null;
    const m = members.data?.data.find((x) => x.user_id === id);
    if (m) return m.email ?? m.name ?? 'a member';
    const key = keys.data?.data.find((x) => x.id === id);
    return key ? `key “${key.name}”` : 'a former member';
  };
  const wsName = (id: string | null) => (id ? (workspaces.data?.data.find((w) => w.id === id)?.name ?? id) : 'All');
  const rows = keys.data?.data ?? [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>API Keys</Title>
        <Button onClick={() => setCreating(true)}>Create key</Button>
      </Group>
      {keys.error && <Alert color="red">{problemText(keys.error)}</Alert>}
      {keys.isLoading && <ListSkeleton label="Loading API keys" />}
      {!keys.isLoading && rows.length === 0 && <Text c="dimmed">No API keys yet. Create one to send events from your systems.</Text>}
      {rows.length > 0 && (
        <Table withTableBorder aria-label="API keys">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Scopes</Table.Th>
              <Table.Th>Workspace</Table.Th>
              <Table.Th>Last used / revoked</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((k) => (
              <Table.Tr key={k.id} data-testid="key-row">
                <Table.Td>
                  <Text fw={500}>{k.name}</Text>
                  <Code>{k.prefix}…</Code>
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {k.scopes.map((s) => (
                      <Badge key={s} variant="light">
                        {s}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>{wsName(k.workspace_id)}</Table.Td>
                <Table.Td>
                  {k.revoked_at ? (
                    <Stack gap={2}>
                      <Badge color="gray.7" variant="light" title={`Revoked ${new Date(k.revoked_at).toLocaleString()}`} style={{ alignSelf: 'flex-start' }}>
                        Revoked {new Date(k.revoked_at).toLocaleDateString()}
                      </Badge>
                      {k.revoked_by && whoIs(k.revoked_by) !== null && (
                        <Text size="xs" c="dimmed" data-testid="revoked-by">
                          by {whoIs(k.revoked_by)}
                        </Text>
                      )}
                    </Stack>
                  ) : k.last_used_at ? (
                    new Date(k.last_used_at).toLocaleString()
                  ) : (
                    'Never'
                  )}
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <RowAction onClick={() => setActivityOf(k)} aria-label={`Activity of ${k.name}`}>
                      Activity
                    </RowAction>
                    {!k.revoked_at && (
                      <>
                        <RowAction onClick={() => setRotating(k)}>Rotate</RowAction>
                        <RowAction danger onClick={() => setRevoking(k)}>
                          Revoke
                        </RowAction>
                      </>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={creating} onClose={() => setCreating(false)} title="Create an API key">
        <form onSubmit={submit} aria-label="Create an API key">
          <Stack>
            <TextInput label="Name" name="name" required placeholder="Billing service (production)" />
            <Checkbox.Group label="Scopes" value={scopes} onChange={setScopes}>
              <Stack gap={4} mt={4}>
                {SCOPES.map((s) => (
                  <Checkbox key={s.value} value={s.value} label={s.label} />
                ))}
              </Stack>
            </Checkbox.Group>
            <Select
              label="Workspace"
              description="A bound key reads and writes only that workspace's log."
              clearable
              placeholder="All (not bound)"
              value={workspaceId}
              onChange={setWorkspaceId}
              data={(workspaces.data?.data ?? []).map((w) => ({ value: w.id, label: w.name }))}
            />
            {create.error && <Alert color="red">{problemText(create.error)}</Alert>}
            <Group justify="flex-end">
              <Button type="submit" loading={create.isPending}>
                Create key
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
      <ViewerTokensExplainer />
      <ShownOnce secret={secret} onClose={() => setSecret(null)} />
      <KeyActivity k={activityOf} onClose={() => setActivityOf(null)} />
      <Confirm
        opened={rotating !== null}
        title="Rotate this key?"
        body={`The current secret of “${rotating?.name ?? ''}” stops working at once; a new one is shown once.`}
        action="Rotate key"
        onConfirm={() => rotating && rotate.mutate(rotating)}
        onClose={() => setRotating(null)}
        pending={rotate.isPending}
        error={rotate.error}
      />
      <Confirm
        opened={revoking !== null}
        title="Revoke this key?"
        body={`Systems using “${revoking?.name ?? ''}” will get 401 within a second. This cannot be undone.`}
        action="Revoke key"
        onConfirm={() => revoking && revoke.mutate(revoking)}
        onClose={() => setRevoking(null)}
        pending={revoke.isPending}
        error={revoke.error}
      />
    </Stack>
  );
}
