import { exportWindowStart, isPlanId } from '@audit-trail/plans';
import { Alert, Badge, Button, Checkbox, Group, Modal, Progress, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { type Account, api, ApiError, type ExportView } from '../lib/api';
import { localInputToIso, toLocalInput } from '../lib/local-time';
import { ListSkeleton } from '../lib/skeleton';

/** The log filters an export carries over from the Audit Log page's URL. */
export const EXPORT_FILTERS = ['actor_email', 'ip', 'category', 'action', 'target_type', 'outcome', 'q'] as const;

const STATUS_COLOR: Record<ExportView['status'], string> = { queued: 'gray', running: 'blue', completed: 'green', failed: 'red', expired: 'gray' };

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function isActive(e: ExportView): boolean {
  return e.status === 'queued' || e.status === 'running';
}

/** One export's state: a progress bar while it runs, a download button when done, the reason when it failed. */
export function ExportStatus({ e }: { e: ExportView }) {
  if (isActive(e)) {
    const pct = Math.round(e.progress * 100);
    return (
      <Stack gap={4} miw={180}>
        <Progress value={pct} animated aria-label={`Export progress ${pct}%`} />
        <Text size="xs" c="dimmed">
          {e.status === 'queued' ? 'Waiting for a worker…' : `${pct}% · ${e.row_count.toLocaleString()} rows`}
        </Text>
      </Stack>
    );
  }
  if (e.status === 'completed' && e.download_url) {
    return (
      <Group gap="xs">
        <Button component="a" href={e.download_url} size="xs" download>
          Download
        </Button>
        <Text size="xs" c="dimmed">
          {e.row_count.toLocaleString()} rows · {bytes(e.bytes)}
        </Text>
      </Group>
    );
  }
  if (e.status === 'failed') {
    return (
      <Text size="sm" c="red">
        {e.error ?? 'The export failed.'}
      </Text>
    );
  }
  return (
    <Text size="sm" c="dimmed">
      The file was deleted after it expired; request the export again.
    </Text>
  );
}

/** Recent exports, refreshed every second while one of them runs. */
export function RecentExports({ highlight }: { highlight?: string }) {
  const list = useQuery({
    queryKey: ['exports'],
    queryFn: () => api<{ data: ExportView[] }>('GET', '/v1/exports'),
    // Every second while one runs; otherwise every five minutes, well within a download link's life.
    refetchInterval: (q) => (q.state.data?.data.some(isActive) ? 1000 : 300_000),
  });
  if (list.error) {
    return (
      <Alert color="red" title="Could not load exports">
        {list.error instanceof ApiError ? list.error.message : 'The server could not be reached.'}
      </Alert>
    );
  }
  const rows = list.data?.data ?? [];
  if (list.isLoading) return <ListSkeleton label="Loading exports" />;
  if (rows.length === 0) return <Text c="dimmed">No exports yet. Filter the Audit Log, then choose Export.</Text>;
  return (
    <Table aria-label="Recent exports" verticalSpacing="xs">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Requested</Table.Th>
          <Table.Th>Format</Table.Th>
          <Table.Th>Range</Table.Th>
          <Table.Th>Status</Table.Th>
          <Table.Th />
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((e) => (
          <Table.Tr key={e.id} data-testid="export-row" data-export-id={e.id} bg={e.id === highlight ? 'var(--mantine-color-blue-light)' : undefined}>
            <Table.Td title={e.created_at}>{new Date(e.created_at).toLocaleString()}</Table.Td>
            <Table.Td>
              {e.format.toUpperCase()}
              {e.gzip ? ' · gzip' : ''}
            </Table.Td>
            <Table.Td>
              <Text size="sm">
                {new Date(e.filters.from).toLocaleDateString()} – {new Date(e.filters.to).toLocaleDateString()}
              </Text>
            </Table.Td>
            <Table.Td>
              <Badge color={STATUS_COLOR[e.status]} variant="light">
                {e.status}
              </Badge>
            </Table.Td>
            <Table.Td>
              <ExportStatus e={e} />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/**
 * The Export dialog: format, a date range the plan allows (the picker's
 * minimum is the plan's export window, and the sentence says why), and the
 * Audit Log's current filters.
 */
export function ExportDialog({ account, opened, onClose, filters }: { account: Account; opened: boolean; onClose: () => void; filters: URLSearchParams }) {
  const qc = useQueryClient();
  const [created, setCreated] = useState<string | undefined>();
  const now = new Date();
  // The picker has minute precision: round the window's start up to a minute,
  // one minute later still, so the earliest choice is still inside the window
  // when the request arrives (the window moves on while the dialog is open).
  const windowStart = isPlanId(account.plan) ? exportWindowStart(account.plan, now) : null;
  const earliest = windowStart && new Date(Math.ceil((windowStart.getTime() + 60_000) / 60_000) * 60_000);
  const days = account.entitlements.export_window_days;
  const requestedFrom = filters.get('from');
  const defaultFrom = requestedFrom ? new Date(requestedFrom) : (earliest ?? new Date(now.getTime() - 30 * 86_400_000));
  const from0 = earliest && defaultFrom < earliest ? earliest : defaultFrom;
  const to0 = filters.get('to') ? new Date(filters.get('to') as string) : null;
  const carried = EXPORT_FILTERS.filter((f) => filters.get(f));

  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<ExportView>('POST', '/v1/exports', body),
    onSuccess: (e) => {
      setCreated(e.id);
      void qc.invalidateQueries({ queryKey: ['exports'] });
    },
  });

  const submit = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const form = new FormData(ev.currentTarget);
    const body: Record<string, unknown> = { format: form.get('format'), gzip: form.get('gzip') === 'on' };
    const from = form.get('from');
    const to = form.get('to');
    if (typeof from === 'string' && from) body.from = localInputToIso(from);
    if (typeof to === 'string' && to) body.to = localInputToIso(to, true);
    for (const f of carried) body[f] = filters.get(f);
    create.mutate(body);
  };

  return (
    <Modal opened={opened} onClose={onClose} title="Export the audit log" size="xl">
      <Stack>
        <form onSubmit={submit} aria-label="Export">
          <Stack>
            <SegmentedControl
              name="format"
              aria-label="Format"
              data={[
                { value: 'csv', label: 'CSV (spreadsheets, auditors)' },
                { value: 'ndjson', label: 'NDJSON (SIEM import)' },
              ]}
              defaultValue="csv"
            />
            <Group align="end">
              <TextInput
                label="From"
                name="from"
                type="datetime-local"
                min={earliest ? toLocalInput(earliest) : undefined}
                defaultValue={toLocalInput(from0)}
                required
              />
              <TextInput label="To" name="to" type="datetime-local" defaultValue={to0 ? toLocalInput(to0) : ''} description="Empty: up to now" />
              <Checkbox name="gzip" label="Compress (gzip)" />
            </Group>
            <Text size="sm" c="dimmed">
              {days === null
                ? `${account.plan_name} exports the whole audit log.`
                : `${account.plan_name} exports the last ${days} days, so the range starts no earlier than ${earliest?.toLocaleString() ?? ''}.`}
            </Text>
            <Text size="sm">
              {carried.length === 0
                ? 'Every event in the range, account log.'
                : `With the Audit Log's filters: ${carried.map((f) => `${f} = ${filters.get(f)}`).join(', ')}.`}
            </Text>
            {create.error && (
              <Alert color="red" role="alert" title="The export was not started">
                {create.error instanceof ApiError ? create.error.message : 'The server could not be reached.'}
                {create.error instanceof ApiError && create.error.problem.errors?.map((e) => <div key={e.path}>{`${e.path}: ${e.message}`}</div>)}
              </Alert>
            )}
            <Group>
              <Button type="submit" loading={create.isPending}>
                Start export
              </Button>
            </Group>
          </Stack>
        </form>
        <Title order={4}>Recent exports</Title>
        <RecentExports highlight={created} />
      </Stack>
    </Modal>
  );
}

export function ExportsPage() {
  return (
    <Stack>
      <Title order={2}>Exports</Title>
      <Text c="dimmed">Each file stays downloadable until it expires; download links are short-lived and renewed whenever this list refreshes.</Text>
      <RecentExports />
    </Stack>
  );
}
