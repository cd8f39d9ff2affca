import { ActionIcon, Badge, Button, CopyButton, Group, Skeleton, Table, Text, Tooltip } from '@mantine/core';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, useEffect, useLayoutEffect, useRef, useState } from 'react';
import {
  IconBolt,
  IconBuilding,
  IconCheck,
  IconCopy,
  IconCreditCard,
  IconDatabase,
  IconDownload,
  IconEye,
  IconFile,
  IconKey,
  IconLogin,
  IconPlug,
  IconRobot,
  IconSettings,
  IconShield,
  IconTag,
  IconUser,
  IconUsers,
  type Icon,
} from '@tabler/icons-react';
import { actorLabel, type LogEntry, targetLabel } from './entry';

/** An icon per built-in category; a tenant's own categories get a tag. */
const CATEGORY_ICONS: Record<string, Icon> = {
  authentication: IconLogin,
  members: IconUsers,
  api_keys: IconKey,
  workspaces: IconBuilding,
  billing: IconCreditCard,
  exports: IconDownload,
  forwarding: IconBolt,
  retention: IconDatabase,
  integrity: IconShield,
  access: IconEye,
  settings: IconSettings,
  integrations: IconPlug,
  content: IconFile,
};
const ACTOR_ICONS: Record<string, { icon: Icon; label: string }> = {
  user: { icon: IconUser, label: 'Person' },
  api_key: { icon: IconKey, label: 'API key' },
  system: { icon: IconRobot, label: 'System' },
};
const ICON = { size: 15, stroke: 1.6, style: { flex: 'none' } } as const;

/** Badges keep their words: a crowded row scrolls, it does not squeeze them to letters. */
const NO_SHRINK = { flex: 'none' } as const;

export interface LogTableProps {
  entries: LogEntry[];
  /** The first page is on its way: skeleton rows. */
  loading: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  onOpen: (entry: LogEntry) => void;
}

/**
 * The log as a table, newest first. Only the rows near the viewport are in
 * the DOM, so thousands stay smooth; the next page is asked for as the
 * reader nears the end, or with "Load more".
 */
export function LogTable({ entries, loading, hasMore, loadingMore, onLoadMore, onOpen }: LogTableProps) {
  const bodyRef = useRef<HTMLTableSectionElement>(null);
  const [scrollMargin, setScrollMargin] = useState(0);
  // Where the rows start on the page. Anything above them that changes height
  // later (the chart arriving, an alert) moves them: measure again then, or
  // the virtualiser renders the wrong rows and leaves a blank band.
  useLayoutEffect(() => {
    const measure = () => {
      if (bodyRef.current) setScrollMargin(bodyRef.current.getBoundingClientRect().top + window.scrollY);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(document.body);
    return () => observer.disconnect();
  }, []);
  const virtualizer = useWindowVirtualizer({ count: entries.length, estimateSize: () => 45, overscan: 12, scrollMargin });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (lastIndex >= entries.length - 20 && hasMore && !loadingMore) onLoadMore();
  }, [lastIndex, entries.length, hasMore, loadingMore, onLoadMore]);
  const padTop = items.length ? items[0].start - scrollMargin : 0;
  const padBottom = items.length ? virtualizer.getTotalSize() - (items[items.length - 1].end - scrollMargin) : 0;
  // Enter or Space opens a row; arrow keys (and j/k) move to the next or previous one.
  const openOnKey = (e: KeyboardEvent<HTMLTableRowElement>, entry: LogEntry, index: number) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onOpen(entry);
      return;
    }
    const step = e.key === 'ArrowDown' || e.key === 'j' ? 1 : e.key === 'ArrowUp' || e.key === 'k' ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const target = index + step;
    if (target < 0 || target >= entries.length) return;
    const row = () => bodyRef.current?.querySelector<HTMLElement>(`tr[data-index="${target}"]`);
    const here = row();
    if (here) {
      here.focus();
      return;
    }
    virtualizer.scrollToIndex(target, { align: 'auto' });
    requestAnimationFrame(() => row()?.focus());
  };
  const now = Date.now();

  return (
    <>
      {/* On a narrow screen the table scrolls sideways inside its own box; the page never does. */}
      <Table.ScrollContainer minWidth={880} type="native">
      <Table striped highlightOnHover aria-label="Audit log entries" layout="fixed">
        <Table.Thead>
          <Table.Tr>
            {/* Fixed widths: columns do not jump as rows come and go while scrolling. */}
            <Table.Th w="36%">Activity</Table.Th>
            <Table.Th w="20%">Actor</Table.Th>
            <Table.Th w="18%">Target</Table.Th>
            <Table.Th w="12%">IP</Table.Th>
            <Table.Th w="14%">Time</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody ref={bodyRef}>
          {loading &&
            Array.from({ length: 8 }, (_, i) => (
              <Table.Tr key={`skeleton-${i}`} data-testid="skeleton-row">
                {[40, 20, 16, 12, 12].map((w, j) => (
                  <Table.Td key={j}>
                    <Skeleton height={14} width={`${w * 2}%`} />
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          {padTop > 0 && (
            <tr aria-hidden="true">
              <td colSpan={5} style={{ height: padTop, padding: 0, border: 0 }} />
            </tr>
          )}
          {items.map((v) => {
            const e = entries[v.index];
            return (
              <Table.Tr
                key={e.id}
                data-index={v.index}
                ref={virtualizer.measureElement}
                className="event-row"
                style={{ cursor: 'pointer' }}
                tabIndex={0}
                aria-label={`${e.action} by ${actorLabel(e)}, ${formatLocal(e.occurred_at)}`}
                onClick={() => onOpen(e)}
                onKeyDown={(k) => openOnKey(k, e, v.index)}
                data-testid="event-row"
              >
                <Table.Td>
                  <Group gap={6} wrap="wrap">
                    {(() => {
                      const CategoryIcon = CATEGORY_ICONS[e.category] ?? IconTag;
                      return <CategoryIcon {...ICON} aria-hidden="true" color="var(--mantine-color-dimmed)" />;
                    })()}
                    <Text fw={500} truncate="end" maw="100%" title={e.action}>
                      {e.action}
                    </Text>
                    <Badge variant="light" style={NO_SHRINK}>{e.category}</Badge>
                    {e.outcome !== 'success' && <Badge color="red" style={NO_SHRINK}>{e.outcome}</Badge>}
                    {e.source === 'platform' ? (
                      <Badge color="indigo.8" variant="outline" style={NO_SHRINK} title="Written by Audit Trail itself: no API key can write such an entry" data-testid="source-badge">
                        Platform
                      </Badge>
                    ) : (
                      <Badge color="gray.7" variant="outline" style={NO_SHRINK} title={e.api_key_id ? `Sent over the API by key ${e.api_key_id}` : 'Sent over the API'} data-testid="source-badge">
                        API
                      </Badge>
                    )}
                    {e.sealed && (
                      <Badge color="teal.9" variant="outline" style={NO_SHRINK} title="In the signed Merkle tree: any later change is detectable">
                        Sealed
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    {(() => {
                      const a = ACTOR_ICONS[e.actor_type] ?? ACTOR_ICONS.user;
                      return <a.icon {...ICON} role="img" aria-label={a.label} data-testid="actor-icon" />;
                    })()}
                    <Text truncate="end" size="sm" title={actorLabel(e)}>
                      {actorLabel(e)}
                    </Text>
                  </Group>
                </Table.Td>
                <Table.Td>
                  <TargetCell entry={e} />
                </Table.Td>
                <Table.Td>
                  <Text truncate="end" size="sm" title={e.ip ?? undefined}>
                    {e.ip ?? ''}
                  </Text>
                </Table.Td>
                <Table.Td title={`${formatLocal(e.occurred_at)}\n${e.occurred_at.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC`} data-testid="event-time">
                  <Text size="sm">{formatWhen(e.occurred_at, now)}</Text>
                </Table.Td>
              </Table.Tr>
            );
          })}
          {padBottom > 0 && (
            <tr aria-hidden="true">
              <td colSpan={5} style={{ height: padBottom, padding: 0, border: 0 }} />
            </tr>
          )}
        </Table.Tbody>
      </Table>
      </Table.ScrollContainer>
      <Group justify="space-between">
        <Text size="sm" c="dimmed" data-testid="row-count">
          {entries.length.toLocaleString()} {entries.length === 1 ? 'entry' : 'entries'} loaded{hasMore ? '; more load as you scroll' : ''}
        </Text>
        {hasMore && (
          <Button variant="light" onClick={onLoadMore} loading={loadingMore}>
            Load more
          </Button>
        )}
      </Group>
    </>
  );
}

/** Local time with its zone, e.g. "Dec 2, 2026, 09:14:03 CET". */
export function formatLocal(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
}

const RELATIVE = typeof Intl !== 'undefined' && 'RelativeTimeFormat' in Intl ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }) : null;

/** Within the last day: "12 minutes ago"; before that, the local time with its zone. */
export function formatWhen(iso: string, now: number): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  if (RELATIVE && seconds <= 30 && seconds > -86_400) {
    if (seconds > -60) return RELATIVE.format(0, 'second');
    if (seconds > -3600) return RELATIVE.format(Math.round(seconds / 60), 'minute');
    return RELATIVE.format(Math.round(seconds / 3600), 'hour');
  }
  return formatLocal(iso);
}

/** A long id shortened to its start, the whole of it a click away. */
export function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 8)}…` : id;
}

/** The target's name when it has one; otherwise its id, shortened, with a copy button. */
function TargetCell({ entry }: { entry: LogEntry }) {
  if (entry.target_name || !entry.target_id) {
    const label = targetLabel(entry);
    return (
      <Text truncate="end" size="sm" title={entry.target_id ? `${label} (${entry.target_type ?? 'target'} ${entry.target_id})` : label}>
        {label}
      </Text>
    );
  }
  const id = entry.target_id;
  return (
    <Group gap={4} wrap="nowrap">
      <Text size="sm" ff="monospace" title={id} truncate="end">
        {shortId(id)}
      </Text>
      {id.length > 14 && (
        <CopyButton value={id}>
          {({ copied, copy }) => (
            <Tooltip label={copied ? 'Copied' : 'Copy id'} withArrow>
              <ActionIcon
                variant="subtle"
                size="xs"
                aria-label={`Copy target id ${id}`}
                onClick={(ev) => {
                  ev.stopPropagation();
                  copy();
                }}
              >
                {copied ? <IconCheck size={12} aria-hidden="true" /> : <IconCopy size={12} aria-hidden="true" />}
              </ActionIcon>
            </Tooltip>
          )}
        </CopyButton>
      )}
    </Group>
  );
}
