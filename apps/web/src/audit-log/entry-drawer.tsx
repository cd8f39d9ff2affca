import { Badge, Button, Code, CopyButton, Drawer, Group, Spoiler, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { api, type AuditEvent, problemText } from '../lib/api';
import { diffChanges, type DiffRow } from './diff';

const STATUS_STYLE: Record<DiffRow['status'], { color: string; label: string }> = {
  added: { color: 'var(--mantine-color-green-1)', label: 'added' },
  removed: { color: 'var(--mantine-color-red-1)', label: 'removed' },
  changed: { color: 'var(--mantine-color-yellow-1)', label: 'changed' },
  unchanged: { color: 'transparent', label: '' },
};

/** Before and after, field by field: removed values in red, added in green. */
export function DiffView({ changes }: { changes: NonNullable<AuditEvent['changes']> }) {
  const rows = diffChanges(changes.before, changes.after);
  return (
    <Table aria-label="Changes" withTableBorder data-testid="diff-view">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Field</Table.Th>
          <Table.Th>Before</Table.Th>
          <Table.Th>After</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((r) => (
          <Table.Tr key={r.path} data-status={r.status} style={{ background: STATUS_STYLE[r.status].color }}>
            <Table.Td>
              <Code>{r.path}</Code> {STATUS_STYLE[r.status].label && <Text span size="xs" c="dimmed">{STATUS_STYLE[r.status].label}</Text>}
            </Table.Td>
            <Table.Td c={r.status === 'removed' || r.status === 'changed' ? 'red.8' : undefined} td={r.status === 'removed' ? 'line-through' : undefined}>
              {r.before ?? '—'}
            </Table.Td>
            <Table.Td c={r.status === 'added' || r.status === 'changed' ? 'green.8' : undefined}>{r.after ?? '—'}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

const FIELDS: [keyof AuditEvent, string][] = [
  ['action', 'Action'],
  ['category', 'Event type'],
  ['outcome', 'Outcome'],
  ['actor_type', 'Actor type'],
  ['actor_id', 'Actor id'],
  ['actor_email', 'Actor email'],
  ['actor_name', 'Actor name'],
  ['target_type', 'Target type'],
  ['target_id', 'Target id'],
  ['target_name', 'Target name'],
  ['ip', 'IP address'],
  ['user_agent', 'User agent'],
  ['workspace_id', 'Workspace'],
  ['source', 'Written by (platform or api)'],
  ['api_key_id', 'API key'],
  ['id', 'Event id'],
];

/** Saves the entry's inclusion proof (and its signed checkpoint) as JSON, for the offline verifier. */
function ProofButton({ id }: { id: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const proof = await api<unknown>('GET', `/v1/events/${id}/proof`);
      const url = URL.createObjectURL(new Blob([JSON.stringify(proof, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `proof-${id}.json`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button size="xs" variant="default" loading={busy} onClick={() => void save()}>
        Download proof
      </Button>
      {error && (
        <Text size="xs" c="red" role="alert">
          {error}
        </Text>
      )}
    </>
  );
}

/** Every field of one entry, its metadata and changes, and the buttons to share it. */
export function EntryDrawer({ entry, onClose }: { entry: AuditEvent | null; onClose: () => void }) {
  const [showDiff, setShowDiff] = useState(false);
  const link = entry ? `${window.location.origin}/audit-log?${new URLSearchParams({ event: entry.id, ...(entry.workspace_id ? { scope: 'workspace', workspace_id: entry.workspace_id } : {}) })}` : '';
  return (
    <Drawer
      opened={entry !== null}
      onClose={() => {
        setShowDiff(false);
        onClose();
      }}
      position="right"
      size="xl"
      title={entry?.action}
    >
      {entry && (
        <Stack>
          <Group gap="xs">
            <CopyButton value={JSON.stringify(entry, null, 2)}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" onClick={copy}>
                  {copied ? 'Copied raw data' : 'Copy raw data'}
                </Button>
              )}
            </CopyButton>
            <CopyButton value={JSON.stringify(entry.metadata ?? {}, null, 2)}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" onClick={copy} disabled={!entry.metadata}>
                  {copied ? 'Copied metadata' : 'Copy metadata'}
                </Button>
              )}
            </CopyButton>
            <CopyButton value={link}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" onClick={copy}>
                  {copied ? 'Copied link' : 'Copy link'}
                </Button>
              )}
            </CopyButton>
            {entry.changes && (
              <Button size="xs" variant={showDiff ? 'filled' : 'default'} onClick={() => setShowDiff((v) => !v)}>
                {showDiff ? 'Hide diff' : 'Show diff'}
              </Button>
            )}
            {entry.sealed && <ProofButton id={entry.id} />}
            {entry.sealed && <Badge color="teal.9">Sealed</Badge>}
          </Group>
          <Text size="sm" title={entry.occurred_at}>
            {new Date(entry.occurred_at).toLocaleString()} <Text span c="dimmed">({entry.occurred_at} UTC)</Text>
          </Text>
          {showDiff && entry.changes && <DiffView changes={entry.changes} />}
          <Table aria-label="Entry fields" verticalSpacing={4}>
            <Table.Tbody>
              {FIELDS.filter(([k]) => entry[k] !== null && entry[k] !== undefined).map(([k, label]) => (
                <Table.Tr key={k}>
                  <Table.Th scope="row" w={140}>
                    {label}
                  </Table.Th>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{typeof entry[k] === 'string' ? entry[k] : JSON.stringify(entry[k])}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {entry.metadata && (
            <>
              <Title order={5}>Metadata</Title>
              <Spoiler maxHeight={160} showLabel="Show all" hideLabel="Collapse">
                <Code block>{JSON.stringify(entry.metadata, null, 2)}</Code>
              </Spoiler>
            </>
          )}
          <Title order={5}>Raw data</Title>
          <Spoiler maxHeight={120} showLabel="Show all" hideLabel="Collapse">
            <Code block>{JSON.stringify(entry, null, 2)}</Code>
          </Spoiler>
        </Stack>
      )}
    </Drawer>
  );
}
