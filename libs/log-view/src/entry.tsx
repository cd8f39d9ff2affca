import { Badge, Button, Code, CopyButton, Drawer, Group, Spoiler, Stack, Table, Text, Title } from '@mantine/core';
import type { ViewerEntry } from '@audit-trail/sdk';
import { type ReactNode, useState } from 'react';
import { diffChanges, type DiffRow } from './diff';

/**
 * One entry as the components show it: what a viewer token reads, and what
 * the console adds (the API key that sent it, whether it is sealed).
 */
export type LogEntry = ViewerEntry & { api_key_id?: string | null; sealed?: boolean };

/** Who did it, in the fewest words the entry allows. */
export const actorLabel = (e: LogEntry) => e.actor_email ?? e.actor_name ?? e.actor_id ?? e.actor_type;
/** What it was done to. */
export const targetLabel = (e: LogEntry) => e.target_name ?? e.target_id ?? e.target_type ?? '';

const STATUS_STYLE: Record<DiffRow['status'], { color: string; label: string }> = {
  added: { color: 'var(--mantine-color-green-1)', label: 'added' },
  removed: { color: 'var(--mantine-color-red-1)', label: 'removed' },
  changed: { color: 'var(--mantine-color-yellow-1)', label: 'changed' },
  unchanged: { color: 'transparent', label: '' },
};

/** Before and after, field by field: removed values in red, added in green. */
export function DiffView({ changes }: { changes: NonNullable<LogEntry['changes']> }) {
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

const FIELDS: [keyof LogEntry, string][] = [
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

export interface EntryDrawerProps {
  entry: LogEntry | null;
  onClose: () => void;
  /** More buttons beside "Copy raw data" (the console adds a link and the proof). */
  actions?: (entry: LogEntry) => ReactNode;
  /** Render in place rather than at the end of the document (inside a shadow root, for the embedded viewer). */
  withinPortal?: boolean;
}

/** Every field of one entry, its metadata and changes, and the buttons to copy them. */
export function EntryDrawer({ entry, onClose, actions, withinPortal = true }: EntryDrawerProps) {
  const [showDiff, setShowDiff] = useState(false);
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
      withinPortal={withinPortal}
      closeButtonProps={{ 'aria-label': 'Close' }}
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
            {entry.changes && (
              <Button size="xs" variant={showDiff ? 'filled' : 'default'} onClick={() => setShowDiff((v) => !v)}>
                {showDiff ? 'Hide diff' : 'Show diff'}
              </Button>
            )}
            {actions?.(entry)}
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
