import { Alert, Badge, Button, Code, Drawer, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ExportDialog } from '../exports/exports';
import { type Account, api, ApiError, type AuditEvent, type EventPage } from '../lib/api';

/** Filters the page understands; they live in the URL so a view can be shared. */
const FILTERS = ['from', 'to', 'actor_email', 'ip', 'category', 'action', 'target_type', 'outcome', 'q'] as const;

function toInputValue(iso: string | null): string {
  return iso ? iso.slice(0, 16) : '';
}

export function AuditLogPage({ account }: { account: Account }) {
  const [params, setParams] = useSearchParams();
  const [selected, setSelected] = useState<AuditEvent | null>(null);
  const [exporting, setExporting] = useState(false);
  const query = useMemo(() => {
    const q = new URLSearchParams();
    for (const f of FILTERS) {
      const v = params.get(f);
      if (v) q.set(f, f === 'from' || f === 'to' ? new Date(v).toISOString() : v);
    }
    q.set('limit', '50');
    return q.toString();
  }, [params]);

  const catalog = useQuery({
    queryKey: ['catalog'],
    queryFn: () => api<{ categories: { id: string; name: string }[] }>('GET', '/v1/catalog'),
  });

  const events = useInfiniteQuery({
    queryKey: ['events', query],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => api<EventPage>('GET', `/v1/events?${query}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    getNextPageParam: (last) => last.next_cursor,
  });

  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const f of FILTERS) {
      const raw = form.get(f);
      const v = typeof raw === 'string' ? raw.trim() : '';
      if (v) next.set(f, v);
    }
    setParams(next);
  };

  const rows = events.data?.pages.flatMap((p) => p.entries) ?? [];
  const window = events.data?.pages[0]?.window;
  const viewDays = account.entitlements.view_window_days;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Audit Log</Title>
        <Button variant="default" onClick={() => setExporting(true)}>
          Export
        </Button>
      </Group>
      <ExportDialog account={account} opened={exporting} onClose={() => setExporting(false)} filters={params} />
      <form onSubmit={apply} aria-label="Filters" key={params.toString()}>
        <Group align="end" wrap="wrap">
          <TextInput label="From" name="from" type="datetime-local" defaultValue={toInputValue(params.get('from'))} />
          <TextInput label="To" name="to" type="datetime-local" defaultValue={toInputValue(params.get('to'))} />
          <TextInput label="Team member" name="actor_email" placeholder="alice@acme.com" defaultValue={params.get('actor_email') ?? ''} />
          <TextInput label="IP or CIDR" name="ip" placeholder="203.0.113.0/24" defaultValue={params.get('ip') ?? ''} />
          <Select
            label="Event type"
            name="category"
            clearable
            data={(catalog.data?.categories ?? []).map((c) => ({ value: c.id, label: c.name }))}
            defaultValue={params.get('category')}
          />
          <TextInput label="Action" name="action" placeholder="api_key.*" defaultValue={params.get('action') ?? ''} />
          <TextInput label="Target type" name="target_type" defaultValue={params.get('target_type') ?? ''} />
          <Select label="Outcome" name="outcome" clearable data={['success', 'failure']} defaultValue={params.get('outcome')} />
          <TextInput label="Search" name="q" placeholder="text in action, actor, target, metadata" defaultValue={params.get('q') ?? ''} />
          <Button type="submit">Apply</Button>
          <Button variant="subtle" onClick={() => setParams(new URLSearchParams())}>
            Clear
          </Button>
        </Group>
      </form>
      {viewDays !== null && (
        <Text size="sm" c="dimmed">
          Your plan ({account.plan_name}) shows the last {viewDays} days.
        </Text>
      )}
      {window?.clamped && (
        <Alert color="yellow" title="Start date moved">
          The start date was earlier than your plan allows, so the log starts at {new Date(window.from ?? '').toLocaleString()}.
        </Alert>
      )}
      {events.error && (
        <Alert color="red" role="alert" title="Could not load the log">
          {events.error instanceof ApiError ? events.error.message : 'The server could not be reached.'}
        </Alert>
      )}
      {!events.isLoading && rows.length === 0 && !events.error && (
        <Text>No events match these filters yet. Send one with an API key: POST /v1/events.</Text>
      )}
      <Table striped highlightOnHover aria-label="Audit log entries">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Activity</Table.Th>
            <Table.Th>Actor</Table.Th>
            <Table.Th>Target</Table.Th>
            <Table.Th>IP</Table.Th>
            <Table.Th>Time</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((e) => (
            <Table.Tr key={e.id} onClick={() => setSelected(e)} style={{ cursor: 'pointer' }} data-testid="event-row">
              <Table.Td>
                <Group gap="xs">
                  <Text fw={500}>{e.action}</Text>
                  <Badge variant="light">{e.category}</Badge>
                  {e.outcome !== 'success' && <Badge color="red">{e.outcome}</Badge>}
                  {e.sealed && (
                    <Badge color="teal" variant="outline" title="In the signed Merkle tree: any later change is detectable">
                      Sealed
                    </Badge>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>{e.actor_email ?? e.actor_name ?? e.actor_id ?? e.actor_type}</Table.Td>
              <Table.Td>{e.target_name ?? e.target_id ?? e.target_type ?? ''}</Table.Td>
              <Table.Td>{e.ip ?? ''}</Table.Td>
              <Table.Td title={e.occurred_at}>{new Date(e.occurred_at).toLocaleString()}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {events.hasNextPage && (
        <Button variant="light" onClick={() => void events.fetchNextPage()} loading={events.isFetchingNextPage}>
          Load more
        </Button>
      )}
      <Drawer opened={selected !== null} onClose={() => setSelected(null)} position="right" size="lg" title={selected?.action}>
        {selected && <Code block>{JSON.stringify(selected, null, 2)}</Code>}
      </Drawer>
    </Stack>
  );
}
