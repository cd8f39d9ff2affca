import { Alert, Badge, Button, Group, JsonInput, Modal, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { api, problemText } from '../lib/api';
import { ListSkeleton } from '../lib/skeleton';
import { useToast } from '../lib/toast';

interface CatalogAction {
  action: string;
  category: string;
  description: string | null;
  count: number;
  registered: boolean;
  has_schema: boolean;
}
interface Catalog {
  categories: { id: string; name: string; description: string; count: number; actions: CatalogAction[] }[];
  since: string | null;
}
interface Registration {
  action: string;
  category: string;
  description: string | null;
  metadata_schema: Record<string, unknown> | null;
  version: number;
}

/** Platform and own actions with their counts; admins register their own actions with a metadata schema. */
export function CatalogPage({ isAdmin: canEdit }: { isAdmin: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const catalog = useQuery({ queryKey: ['catalog'], queryFn: () => api<Catalog>('GET', '/v1/catalog') });
  const [editing, setEditing] = useState<Registration | 'new' | null>(null);
  const open = async (action: string) => setEditing(await api<Registration>('GET', `/v1/catalog/actions/${action}`));
  const save = useMutation({
    mutationFn: (r: { action: string; category: string; description: string | null; metadata_schema: Record<string, unknown> | null }) =>
      api<Registration>('PUT', `/v1/catalog/actions/${encodeURIComponent(r.action)}`, { category: r.category, description: r.description, metadata_schema: r.metadata_schema }),
    onSuccess: (r) => {
      toast(`${r.action} saved (version ${r.version}).`);
      setEditing(null);
      void qc.invalidateQueries({ queryKey: ['catalog'] });
    },
  });
  const [schemaError, setSchemaError] = useState<string | null>(null);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const field = (name: string) => {
      const v = f.get(name);
      return typeof v === 'string' ? v.trim() : '';
    };
    const text = field('metadata_schema');
    let schema: Record<string, unknown> | null = null;
    if (text) {
      try {
        schema = JSON.parse(text) as Record<string, unknown>;
      } catch {
        setSchemaError('The schema is not valid JSON.');
        return;
      }
    }
    setSchemaError(null);
    save.mutate({ action: field('action'), category: field('category'), description: field('description') || null, metadata_schema: schema });
  };
  const categories = catalog.data?.categories ?? [];
  const current = editing && editing !== 'new' ? editing : null;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Catalog</Title>
        {canEdit && <Button onClick={() => setEditing('new')}>Register an action</Button>}
      </Group>
      <Text size="sm" c="dimmed">
        Every action in your log, by category, with how many events each has{catalog.data?.since ? ` since ${new Date(catalog.data.since).toLocaleDateString()}` : ''}. Register your own actions to give them a
        category, a description and a schema that ingest checks their metadata against.
      </Text>
      {catalog.error && <Alert color="red">{problemText(catalog.error)}</Alert>}
      {catalog.isLoading && <ListSkeleton label="Loading the catalog" />}
      <Table withTableBorder aria-label="Catalog">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Action</Table.Th>
            <Table.Th>Category</Table.Th>
            <Table.Th>Description</Table.Th>
            <Table.Th ta="right">Events</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {categories.flatMap((c) =>
            c.actions.map((a) => (
              <Table.Tr key={a.action} data-testid="catalog-row">
                <Table.Td>
                  <Group gap={6}>
                    <Text size="sm" ff="monospace">
                      {a.action}
                    </Text>
                    {a.registered ? <Badge variant="outline" color="indigo.8">yours</Badge> : a.description ? <Badge variant="outline" color="gray.7">platform</Badge> : null}
                    {a.has_schema && <Badge variant="light" color="teal.9">schema</Badge>}
                  </Group>
                </Table.Td>
                <Table.Td>{c.name}</Table.Td>
                <Table.Td>
                  <Text size="sm" c={a.description ? undefined : 'dimmed'}>
                    {a.description ?? '—'}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Link to={`/audit-log?action=${encodeURIComponent(a.action)}`}>{a.count.toLocaleString()}</Link>
                </Table.Td>
                <Table.Td>
                  {canEdit && a.registered && (
                    <Button size="xs" variant="default" onClick={() => void open(a.action)} aria-label={`Edit ${a.action}`}>
                      Edit
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            )),
          )}
        </Table.Tbody>
      </Table>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={current ? `Edit ${current.action}` : 'Register an action'} size="lg">
        <form onSubmit={submit} aria-label="Action registration" key={current?.action ?? 'new'}>
          <Stack>
            <TextInput label="Action" name="action" required readOnly={current !== null} defaultValue={current?.action ?? ''} placeholder="subscription.changed" description="resource.verb, lower case" />
            <Select
              label="Category"
              name="category"
              required
              searchable
              data={[...new Set([...categories.map((c) => c.id), current?.category].filter((x): x is string => Boolean(x)))]}
              defaultValue={current?.category ?? 'custom'}
            />
            <TextInput label="Description" name="description" defaultValue={current?.description ?? ''} />
            <JsonInput
              label="Metadata schema (JSON Schema 2020-12, optional)"
              name="metadata_schema"
              autosize
              minRows={4}
              defaultValue={current?.metadata_schema ? JSON.stringify(current.metadata_schema, null, 2) : ''}
              placeholder={'{"type": "object", "required": ["plan"], "properties": {"plan": {"enum": ["free", "pro"]}}}'}
            />
            {schemaError && <Alert color="red">{schemaError}</Alert>}
            {save.error && <Alert color="red">{problemText(save.error)}</Alert>}
            <Group justify="flex-end">
              <Button type="submit" loading={save.isPending}>
                Save
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </Stack>
  );
}
