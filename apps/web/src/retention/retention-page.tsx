import { cheapestPlanWith, getPlan } from '@audit-trail/plans';
import { Alert, Badge, Button, Group, Modal, SegmentedControl, Select, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Confirm } from '../admin/confirm';
import { type Account, api, type LegalHoldView, type WorkspaceView, problemText } from '../lib/api';
import { ListSkeleton } from '../lib/skeleton';

const date = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** How long events are kept, when the next purge runs, and (owners on a plan with legal holds) the holds. */
export function RetentionPage({ account }: { account: Account }) {
  const r = account.retention;
  const isOwner = account.me.role === 'owner';
  const canHold = account.entitlements.legal_hold;
  const holdPlan = cheapestPlanWith('legal_hold');
  return (
    <Stack>
      <Title order={2}>Retention</Title>
      <Table withTableBorder aria-label="Retention" maw={720}>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th scope="row">Events are kept for</Table.Th>
            <Table.Td>{r.days === null ? '—' : `${r.days.toLocaleString()} days (${account.plan_name})`}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">Events before this are purged</Table.Th>
            <Table.Td>{date(r.cutoff)}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th scope="row">Next purge</Table.Th>
            <Table.Td>{r.next_purge_at ? date(r.next_purge_at) : 'Not scheduled (the operator runs retention by hand)'}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {r.grace_until && (
        <Alert color="blue" title="Downgrade grace period" maw={720}>
          Your previous plan kept events for {r.previous_days?.toLocaleString()} days. That longer period still applies until {date(r.grace_until)}, so a mistaken
          downgrade loses nothing.
        </Alert>
      )}
      <Title order={3}>Legal holds</Title>
      {!canHold ? (
        <Text c="dimmed">
          A legal hold stops retention from deleting anything in an account or workspace, for an investigation or litigation.
          {holdPlan ? ` Legal holds come with ${getPlan(holdPlan).name}.` : ''}
        </Text>
      ) : !isOwner ? (
        <Text c="dimmed">Only account owners can see and manage legal holds.</Text>
      ) : (
        <LegalHolds />
      )}
    </Stack>
  );
}

function LegalHolds() {
  const qc = useQueryClient();
  const holds = useQuery({ queryKey: ['legal-holds'], queryFn: () => api<{ data: LegalHoldView[] }>('GET', '/v1/legal-holds') });
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: () => api<{ data: WorkspaceView[] }>('GET', '/v1/workspaces') });
  const [placing, setPlacing] = useState(false);
  const [releasing, setReleasing] = useState<LegalHoldView | null>(null);
  const release = useMutation({
    mutationFn: (id: string) => api('DELETE', `/v1/legal-holds/${id}`),
    onSuccess: () => {
      setReleasing(null);
      void qc.invalidateQueries({ queryKey: ['legal-holds'] });
    },
  });
  const wsName = (id: string | null) => workspaces.data?.data.find((w) => w.id === id)?.name ?? id ?? '';

  if (holds.error) {
    return (
      <Alert color="red" title="Could not load legal holds">
        {problemText(holds.error)}
      </Alert>
    );
  }
  return (
    <Stack>
      <Group>
        <Button onClick={() => setPlacing(true)}>Place a legal hold</Button>
      </Group>
      {holds.isLoading && <ListSkeleton rows={2} label="Loading legal holds" />}
      {holds.data && holds.data.data.length === 0 && <Text c="dimmed">No legal holds. Retention purges on schedule.</Text>}
      {holds.data && holds.data.data.length > 0 && (
        <Table withTableBorder aria-label="Legal holds">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Scope</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th>Placed</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {holds.data.data.map((h) => (
              <Table.Tr key={h.id} data-testid="legal-hold-row">
                <Table.Td>{h.scope === 'account' ? 'Whole account' : `Workspace ${wsName(h.workspace_id)}`}</Table.Td>
                <Table.Td>{h.reason}</Table.Td>
                <Table.Td>{date(h.created_at)}</Table.Td>
                <Table.Td>{h.active ? <Badge color="indigo">Active</Badge> : <Badge color="gray">Released {date(h.released_at)}</Badge>}</Table.Td>
                <Table.Td>
                  {h.active && (
                    <Button size="xs" variant="default" onClick={() => setReleasing(h)}>
                      Release
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <PlaceHoldDialog opened={placing} onClose={() => setPlacing(false)} workspaces={workspaces.data?.data ?? []} />
      <Confirm
        opened={releasing !== null}
        title="Release this legal hold?"
        body="The next retention run may then purge what the hold kept. The hold stays listed as released."
        action="Release hold"
        onConfirm={() => releasing && release.mutate(releasing.id)}
        onClose={() => setReleasing(null)}
        pending={release.isPending}
        error={release.error}
      />
    </Stack>
  );
}

function PlaceHoldDialog({ opened, onClose, workspaces }: { opened: boolean; onClose: () => void; workspaces: WorkspaceView[] }) {
  const qc = useQueryClient();
  const [scope, setScope] = useState<'account' | 'workspace'>('account');
  const [workspaceId, setWorkspaceId] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const place = useMutation({
    mutationFn: () => api('POST', '/v1/legal-holds', { scope, workspace_id: scope === 'workspace' ? workspaceId : undefined, reason }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['legal-holds'] });
      setReason('');
      onClose();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    place.mutate();
  };
  return (
    <Modal opened={opened} onClose={onClose} title="Place a legal hold">
      <form onSubmit={submit}>
        <Stack>
          <SegmentedControl
            aria-label="Scope"
            value={scope}
            onChange={(v) => setScope(v)}
            data={[
              { value: 'account', label: 'Whole account' },
              { value: 'workspace', label: 'One workspace' },
            ]}
          />
          {scope === 'workspace' && (
            <Select label="Workspace" data={workspaces.map((w) => ({ value: w.id, label: w.name }))} value={workspaceId} onChange={setWorkspaceId} required />
          )}
          <Textarea label="Reason" description="Recorded with the hold and in the audit log." value={reason} onChange={(e) => setReason(e.currentTarget.value)} required />
          {place.error && <Alert color="red">{problemText(place.error)}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={place.isPending}>
              Place hold
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
