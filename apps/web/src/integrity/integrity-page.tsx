import { cheapestPlanWith, getPlan } from '@audit-trail/plans';
import { Alert, Anchor, Badge, Button, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type Account, api, type WorkspaceView, problemText } from '../lib/api';

interface Checkpoint {
  id: string;
  log_id: string;
  tree_size: number;
  root_hash: string;
  timestamp: string;
  key_id: string;
  purge_before?: string;
}
interface VerifyResult {
  ok: boolean;
  checked: number;
  pending: number;
  seal_every_seconds: number;
  sealed: number;
  problems: number;
  first_bad: { event_id: string | null; reason: string; occurred_at: string | null } | null;
}
interface PublicKey {
  key_id: string;
  algorithm: string;
  public_key: string;
  valid_from: string;
  valid_to: string | null;
}


function LogRow({ name, scope, workspaceId }: { name: string; scope: 'account' | 'workspace'; workspaceId?: string }) {
  const qs = scope === 'account' ? '' : `scope=workspace&workspace_id=${workspaceId}&`;
  const latest = useQuery({ queryKey: ['digests', scope, workspaceId], queryFn: () => api<{ data: Checkpoint[] }>('GET', `/v1/integrity/digests?${qs}limit=1`) });
  const verify = useMutation({ mutationFn: () => api<VerifyResult>('POST', '/v1/integrity/verify', scope === 'account' ? { scope } : { scope, workspace_id: workspaceId }) });
  const cp = latest.data?.data[0];
  return (
    <Table.Tr data-testid="integrity-log">
      <Table.Td>{name}</Table.Td>
      <Table.Td>
        {cp ? (
          <Stack gap={2}>
            <Text size="sm">
              {cp.tree_size.toLocaleString()} events · {new Date(cp.timestamp).toLocaleString()}
            </Text>
            <Code>{cp.root_hash.slice(0, 16)}…</Code>
          </Stack>
        ) : latest.isLoading ? (
          '…'
        ) : (
          <Text size="sm" c="dimmed">
            No checkpoint yet (the first comes within a minute of the first event).
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Group gap="xs">
          <Button size="xs" variant="default" loading={verify.isPending} onClick={() => verify.mutate()}>
            Verify now
          </Button>
          {verify.data &&
            (verify.data.ok ? (
              <Stack gap={2} data-testid="verify-result">
                <Badge color="teal.9">Verified · {verify.data.checked.toLocaleString()} sealed events</Badge>
                {verify.data.pending > 0 && (
                  <Text size="xs" c="dimmed" data-testid="verify-pending">
                    {verify.data.pending.toLocaleString()} {verify.data.pending === 1 ? 'event' : 'events'} waiting to be sealed (next round within ~{verify.data.seal_every_seconds} s)
                  </Text>
                )}
              </Stack>
            ) : (
              <Stack gap={2} data-testid="verify-result">
                <Badge color="red">Not verified · {verify.data.problems} {verify.data.problems === 1 ? 'problem' : 'problems'}</Badge>
                <Text size="xs" c="red">
                  First: {verify.data.first_bad?.event_id ? `event ${verify.data.first_bad.event_id}: ` : ''}
                  {verify.data.first_bad?.reason}
                </Text>
              </Stack>
            ))}
          {verify.error && (
            <Text size="xs" c="red">
              {problemText(verify.error)}
            </Text>
          )}
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

/** Integrity: the newest checkpoint of each log, verification on demand, and the public key to check offline. */
export function IntegrityPage({ account }: { account: Account }) {
  const keys = useQuery({ queryKey: ['integrity-keys'], queryFn: () => api<{ data: PublicKey[] }>('GET', '/v1/integrity/public-key'), enabled: account.entitlements.integrity_proofs });
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: () => api<{ data: WorkspaceView[] }>('GET', '/v1/workspaces'), enabled: account.entitlements.integrity_proofs });
  if (!account.entitlements.integrity_proofs) {
    const plan = cheapestPlanWith('integrity_proofs');
    return (
      <Stack>
        <Title order={2}>Integrity</Title>
        <Text c="dimmed">
          Integrity proofs seal every event into a signed Merkle tree, so anyone can prove that nothing was changed or removed.
          {plan ? ` They come with ${getPlan(plan).name}.` : ''}
        </Text>
      </Stack>
    );
  }
  const current = keys.data?.data.find((k) => k.valid_to === null) ?? keys.data?.data[0];
  return (
    <Stack>
      <Title order={2}>Integrity</Title>
      <Text c="dimmed" size="sm">
        Every event is sealed in order into a Merkle tree per log, and the tree&apos;s root is signed with our Ed25519 key at least once a minute while
        events arrive. Verification recomputes everything from the events as they are stored now; exports come with a signed manifest that{' '}
        <Code>npx audit-trail-verify</Code> checks with the public key alone.
      </Text>
      <Table withTableBorder aria-label="Logs and their newest checkpoint">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Log</Table.Th>
            <Table.Th>Newest signed checkpoint</Table.Th>
            <Table.Th>Verification</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          <LogRow name="Account log" scope="account" />
          {(workspaces.data?.data ?? []).map((w) => (
            <LogRow key={w.id} name={`Workspace ${w.name}`} scope="workspace" workspaceId={w.id} />
          ))}
        </Table.Tbody>
      </Table>
      <Title order={3}>Public key</Title>
      {keys.error && <Alert color="red">{problemText(keys.error)}</Alert>}
      {current && (
        <Group>
          <Text size="sm">
            {current.algorithm} key <Code>{current.key_id}</Code>, valid since {new Date(current.valid_from).toLocaleDateString()}
          </Text>
          <Anchor href={`data:application/x-pem-file;charset=utf-8,${encodeURIComponent(current.public_key)}`} download={`audit-trail-${current.key_id}.pem`}>
            Download public key
          </Anchor>
        </Group>
      )}
    </Stack>
  );
}
