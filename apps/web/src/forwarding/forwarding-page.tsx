import { Alert, Badge, Button, Code, Drawer, Group, Modal, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { DESTINATION_SPECS, type DestinationType, type DestinationView, destinationSpec } from '@audit-trail/audit-core/browser';
import { Confirm } from '../admin/confirm';
import { type Account, api, ApiError, type WorkspaceView, problemText } from '../lib/api';
import { localInputToIso } from '../lib/local-time';
import { ListSkeleton } from '../lib/skeleton';
import { useToast } from '../lib/toast';


interface DeliveryView {
  id: string;
  attempted_at: string;
  event_count: number;
  first_event_id: string | null;
  last_event_id: string | null;
  status_code: number | null;
  latency_ms: number;
  ok: boolean;
  error: string | null;
  replay_id: string | null;
  test: boolean;
}

/** Each receiver type's label, example URL and credential come from its spec in the domain library. */
const spec = (type: DestinationType) => destinationSpec(type);

/** A text field of a submitted form ('' when absent). */
const text = (f: FormData, name: string) => {
  const v = f.get(name);
  return typeof v === 'string' ? v : '';
};
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The credential field of a submitted form, when one was typed. */
function credentialOf(f: FormData, type: DestinationType): Record<string, string> {
  const field = spec(type).credential?.field;
  const v = field ? text(f, field) : '';
  return field && v ? { [field]: v } : {};
}

/** The API's message for one field of a failed request. */
const fieldErrorOf = (error: unknown) => (path: string) => (error instanceof ApiError ? error.problem.errors?.find((x) => x.path === path)?.message : undefined);

const FORMATS = [
  { value: 'native', label: 'Native (the API’s event)' },
  { value: 'ocsf', label: 'OCSF (API Activity / Account Change)' },
  { value: 'cloudevents', label: 'CloudEvents 1.0' },
];

function Status({ d }: { d: DestinationView }) {
  if (!d.enabled) return <Badge color="gray">Disabled{d.disabled_reason ? `: ${d.disabled_reason}` : ''}</Badge>;
  if (d.failing_since) return <Badge color="red">Failing since {new Date(d.failing_since).toLocaleString()}</Badge>;
  return <Badge color="teal.9">Delivering</Badge>;
}

/** Forwarding: destinations, their state, tests, the delivery log and replays. */
export function ForwardingPage({ account }: { account: Account }) {
  const qc = useQueryClient();
  const destinations = useQuery({ queryKey: ['destinations'], queryFn: () => api<{ data: DestinationView[] }>('GET', '/v1/destinations'), refetchInterval: 5000 });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<DestinationView | null>(null);
  const [ledgerOf, setLedgerOf] = useState<DestinationView | null>(null);
  const [replayOf, setReplayOf] = useState<DestinationView | null>(null);
  const [deleting, setDeleting] = useState<DestinationView | null>(null);
  const [editing, setEditing] = useState<DestinationView | null>(null);
  const [tested, setTested] = useState<{ id: string; text: string; ok: boolean } | null>(null);
  const toast = useToast();
  const refresh = () => void qc.invalidateQueries({ queryKey: ['destinations'] });
  const toggle = useMutation({ mutationFn: (d: DestinationView) => api('PATCH', `/v1/destinations/${d.id}`, { enabled: !d.enabled }), onSuccess: refresh });
  const remove = useMutation({
    mutationFn: (d: DestinationView) => api('DELETE', `/v1/destinations/${d.id}`),
    onSuccess: () => {
      setDeleting(null);
      refresh();
    },
  });
  const test = useMutation({
    mutationFn: (d: DestinationView) => api<{ ok: boolean; status_code: number | null; latency_ms: number; body: string; error: string | null }>('POST', `/v1/destinations/${d.id}/test`),
    onSuccess: (r, d) => setTested({ id: d.id, ok: r.ok, text: r.error ?? `HTTP ${r.status_code} in ${r.latency_ms} ms${r.body ? `: ${r.body.slice(0, 200)}` : ''}` }),
    onError: (err, d) => setTested({ id: d.id, ok: false, text: problemText(err) }),
  });
  const cap = account.entitlements.forwarding_destinations;
  const rows = destinations.data?.data ?? [];

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Forwarding</Title>
        <Button onClick={() => setCreating(true)} disabled={cap === 0}>
          Add destination
        </Button>
      </Group>
      <Text c="dimmed" size="sm">
        Every event of the chosen log is sent, in order, at least once, to each enabled destination. Failed deliveries retry with backoff for 24 hours; a
        destination failing that long is disabled and resumes where it stopped when you enable it again.{' '}
        {cap === null ? 'Your plan allows any number of destinations.' : cap === 0 ? `${account.plan_name} does not include forwarding.` : `${rows.length} of ${cap} destinations in use.`}
      </Text>
      {destinations.error && <Alert color="red">{problemText(destinations.error)}</Alert>}
      {created?.secret && (
        <Alert color="blue" title="Signing secret" withCloseButton onClose={() => setCreated(null)}>
          Verify the <Code>Audit-Signature</Code> header of each delivery with this secret. It is shown once: <Code data-testid="new-secret">{created.secret}</Code>
        </Alert>
      )}
      {destinations.isLoading && <ListSkeleton label="Loading destinations" />}
      {!destinations.isLoading && rows.length === 0 && <Text c="dimmed">No destinations yet. Add one: {DESTINATION_SPECS.map((s) => s.label).join(', ')}.</Text>}
      {rows.length > 0 && (
        <Table withTableBorder aria-label="Destinations">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>Log</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Last delivery</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((d) => (
              <Table.Tr key={d.id} data-testid="destination-row">
                <Table.Td>
                  <Text fw={500}>{d.name}</Text>
                  <Text size="xs" c="dimmed">
                    {d.url}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {spec(d.type).label} · {d.format}
                </Table.Td>
                <Table.Td>{d.scope === 'account' ? 'Account' : 'Workspace'}</Table.Td>
                <Table.Td>
                  <Status d={d} />
                  {tested?.id === d.id && (
                    <Text size="xs" c={tested.ok ? 'green' : 'red'} data-testid="test-result">
                      Test: {tested.text}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{d.last_delivered_at ? new Date(d.last_delivered_at).toLocaleString() : '—'}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Button size="xs" variant="default" loading={test.isPending && test.variables.id === d.id} onClick={() => test.mutate(d)}>
                      Test
                    </Button>
                    <Button size="xs" variant="default" onClick={() => setEditing(d)}>
                      Edit
                    </Button>
                    <Button size="xs" variant="default" onClick={() => setLedgerOf(d)}>
                      Deliveries
                    </Button>
                    <Button size="xs" variant="default" onClick={() => setReplayOf(d)}>
                      Replay
                    </Button>
                    <Button size="xs" variant="default" onClick={() => toggle.mutate(d)}>
                      {d.enabled ? 'Disable' : 'Enable'}
                    </Button>
                    <Button size="xs" variant="subtle" color="red" onClick={() => setDeleting(d)}>
                      Delete
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <CreateDestination
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={(d) => {
          setCreated(d);
          setCreating(false);
          refresh();
        }}
      />
      <EditDestination
        d={editing}
        onClose={() => setEditing(null)}
        onSaved={(d) => {
          setEditing(null);
          refresh();
          toast(d.previous_secret_until ? `Saved. The previous secret also signs until ${new Date(d.previous_secret_until).toLocaleString()}.` : 'Destination saved');
        }}
      />
      <Deliveries d={ledgerOf} onClose={() => setLedgerOf(null)} />
      <Replay d={replayOf} onClose={() => setReplayOf(null)} />
      <Confirm
        opened={deleting !== null}
        title="Delete this destination?"
        body={`Nothing more will be sent to ${deleting?.name ?? ''}. Its delivery log is kept.`}
        action="Delete destination"
        onConfirm={() => deleting && remove.mutate(deleting)}
        onClose={() => setDeleting(null)}
        pending={remove.isPending}
        error={remove.error}
      />
    </Stack>
  );
}

function CreateDestination({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: (d: DestinationView) => void }) {
  const [type, setType] = useState<DestinationType>('webhook');
  const [scope, setScope] = useState<'account' | 'workspace'>('account');
  const [workspaceId, setWorkspaceId] = useState<string | null>(null);
  const [format, setFormat] = useState<string | null>('native');
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: () => api<{ data: WorkspaceView[] }>('GET', '/v1/workspaces'), enabled: opened });
  const create = useMutation({ mutationFn: (body: Record<string, unknown>) => api<DestinationView>('POST', '/v1/destinations', body), onSuccess: onCreated });
  const t = spec(type);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const body: Record<string, unknown> = { type, name: text(f, 'name'), format, scope, filter: { actions: list(text(f, 'actions')), categories: list(text(f, 'categories')) } };
    const url = text(f, 'url');
    if (url) body.url = url;
    if (scope === 'workspace') body.workspace_id = workspaceId;
    create.mutate({ ...body, ...credentialOf(f, type) });
  };
  const fieldError = fieldErrorOf(create.error);
  return (
    <Modal opened={opened} onClose={onClose} title="Add a destination" size="lg">
      <form onSubmit={submit} aria-label="Add a destination" key={type}>
        <Stack>
          <Select label="Type" value={type} onChange={(v) => v && setType(v)} data={DESTINATION_SPECS.map((s) => ({ value: s.type, label: s.label }))} allowDeselect={false} />
          <TextInput label="Name" name="name" required error={fieldError('name')} />
          <TextInput label="URL" name="url" placeholder={t.exampleUrl} required={!t.defaultUrl} error={fieldError('url')} />
          {t.credential && (
            <TextInput
              label={t.credential.generated ? `${t.credential.label} (empty: we generate one)` : t.credential.label}
              name={t.credential.field}
              type="password"
              required={t.credential.required}
              error={fieldError(t.credential.field)}
              autoComplete="off"
            />
          )}
          {t.takesFormat && (
            <Select
              label="Payload format"
              value={format}
              onChange={setFormat}
              allowDeselect={false}
              data={FORMATS}
            />
          )}
          <Select
            label="Log"
            value={scope}
            onChange={(v) => v && setScope(v)}
            allowDeselect={false}
            data={[
              { value: 'account', label: 'Account log' },
              { value: 'workspace', label: 'One workspace’s log' },
            ]}
          />
          {scope === 'workspace' && (
            <Select label="Workspace" required value={workspaceId} onChange={setWorkspaceId} data={(workspaces.data?.data ?? []).map((w) => ({ value: w.id, label: w.name }))} error={fieldError('workspace_id')} />
          )}
          <TextInput label="Only these actions" name="actions" description="Comma-separated; a trailing * matches a prefix (api_key.*). Empty: all." error={fieldError('filter.actions.0')} />
          <TextInput label="Only these categories" name="categories" description="Comma-separated, e.g. members, api_keys. Empty: all." />
          {create.error && <Alert color="red">{problemText(create.error)}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Add destination
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/**
 * Change a destination: only the fields that differ are sent. A new
 * credential replaces the stored one; for a webhook the previous secret keeps
 * signing (second signature) for a while, so the receiver can switch over.
 */
function EditDestination({ d, onClose, onSaved }: { d: DestinationView | null; onClose: () => void; onSaved: (d: DestinationView) => void }) {
  const [format, setFormat] = useState<string | null>(null);
  const save = useMutation({ mutationFn: (body: Record<string, unknown>) => api<DestinationView>('PATCH', `/v1/destinations/${d?.id}`, body), onSuccess: onSaved });
  if (!d) return null;
  const t = spec(d.type);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const body: Record<string, unknown> = {};
    const name = text(f, 'name').trim();
    if (name !== d.name) body.name = name;
    const url = text(f, 'url').trim();
    if (url && url !== d.url) body.url = url;
    if (format && format !== d.format) body.format = format;
    const filter = { actions: list(text(f, 'actions')), categories: list(text(f, 'categories')) };
    if (filter.actions.join() !== d.filter.actions.join() || filter.categories.join() !== d.filter.categories.join()) body.filter = filter;
    save.mutate({ ...body, ...credentialOf(f, d.type) });
  };
  const fieldError = fieldErrorOf(save.error);
  return (
    <Modal opened onClose={onClose} title={`Edit ${d.name}`} size="lg">
      <form onSubmit={submit} aria-label="Edit the destination" key={d.id}>
        <Stack>
          <TextInput label="Name" name="name" required defaultValue={d.name} error={fieldError('name')} />
          <TextInput
            label="URL"
            name="url"
            defaultValue={t.maskUrl ? '' : d.url}
            placeholder={t.maskUrl ? `Empty: keep the current ${t.label} URL` : t.exampleUrl}
            error={fieldError('url')}
          />
          {t.credential && (
            <TextInput
              label={`New ${t.credential.label.toLowerCase()}`}
              name={t.credential.field}
              type="password"
              autoComplete="off"
              description={t.credential.overlap ? 'Empty: keep the current secret. A new one signs at once; the old one also signs for a while.' : 'Empty: keep the current one.'}
              error={fieldError(t.credential.field)}
            />
          )}
          {t.takesFormat && (
            <Select
              label="Payload format"
              value={format ?? d.format}
              onChange={setFormat}
              allowDeselect={false}
              data={FORMATS}
            />
          )}
          <TextInput label="Only these actions" name="actions" defaultValue={d.filter.actions.join(', ')} description="Comma-separated; a trailing * matches a prefix. Empty: all." />
          <TextInput label="Only these categories" name="categories" defaultValue={d.filter.categories.join(', ')} description="Comma-separated. Empty: all." />
          {save.error && <Alert color="red">{problemText(save.error)}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function Deliveries({ d, onClose }: { d: DestinationView | null; onClose: () => void }) {
  const ledger = useQuery({
    queryKey: ['deliveries', d?.id],
    queryFn: () => api<{ data: DeliveryView[] }>('GET', `/v1/destinations/${d?.id}/deliveries`),
    enabled: d !== null,
    refetchInterval: 3000,
  });
  return (
    <Drawer opened={d !== null} onClose={onClose} title={`Deliveries · ${d?.name ?? ''}`} position="right" size="xl">
      {ledger.error && <Alert color="red">{problemText(ledger.error)}</Alert>}
      {ledger.data?.data.length === 0 && <Text c="dimmed">No delivery attempts yet.</Text>}
      {ledger.data && ledger.data.data.length > 0 && (
        <Table aria-label="Delivery attempts" verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Time</Table.Th>
              <Table.Th>Events</Table.Th>
              <Table.Th>Answer</Table.Th>
              <Table.Th>Latency</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {ledger.data.data.map((r) => (
              <Table.Tr key={r.id} data-testid="delivery-row">
                <Table.Td>{new Date(r.attempted_at).toLocaleString()}</Table.Td>
                <Table.Td>
                  {r.test ? 'test event' : `${r.event_count} event${r.event_count === 1 ? '' : 's'}`}
                  {r.replay_id ? ' · replay' : ''}
                </Table.Td>
                <Table.Td>
                  <Badge color={r.ok ? 'green' : 'red'} variant="light">
                    {r.status_code ?? 'no answer'}
                  </Badge>
                  {r.error && (
                    <Text size="xs" c="red">
                      {r.error}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{r.latency_ms} ms</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Drawer>
  );
}

function Replay({ d, onClose }: { d: DestinationView | null; onClose: () => void }) {
  const [done, setDone] = useState<string | null>(null);
  const replay = useMutation({
    mutationFn: (body: { from: string; to?: string }) => api<{ id: string }>('POST', `/v1/destinations/${d?.id}/replay`, body),
    onSuccess: (r) => setDone(r.id),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const to = text(f, 'to');
    replay.mutate({ from: localInputToIso(text(f, 'from')), ...(to ? { to: localInputToIso(to, true) } : {}) });
  };
  return (
    <Modal
      opened={d !== null}
      onClose={() => {
        setDone(null);
        replay.reset();
        onClose();
      }}
      title={`Replay to ${d?.name ?? ''}`}
    >
      {done ? (
        <Alert color="green">The range is queued; its deliveries carry the header Audit-Replay: true and show in the delivery log.</Alert>
      ) : (
        <form onSubmit={submit} aria-label="Replay">
          <Stack>
            <TextInput label="From" name="from" type="datetime-local" required />
            <TextInput label="To" name="to" type="datetime-local" description="Empty: up to now" />
            {replay.error && <Alert color="red">{problemText(replay.error)}</Alert>}
            <Group justify="flex-end">
              <Button type="submit" loading={replay.isPending}>
                Replay
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
