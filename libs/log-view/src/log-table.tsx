import { Badge, Button, Group, Skeleton, Table, Text } from '@mantine/core';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { actorLabel, type LogEntry, targetLabel } from './entry';

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
  useLayoutEffect(() => {
    if (bodyRef.current) setScrollMargin(bodyRef.current.getBoundingClientRect().top + window.scrollY);
  });
  const virtualizer = useWindowVirtualizer({ count: entries.length, estimateSize: () => 45, overscan: 12, scrollMargin });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (lastIndex >= entries.length - 20 && hasMore && !loadingMore) onLoadMore();
  }, [lastIndex, entries.length, hasMore, loadingMore, onLoadMore]);
  const padTop = items.length ? items[0].start - scrollMargin : 0;
  const padBottom = items.length ? virtualizer.getTotalSize() - (items[items.length - 1].end - scrollMargin) : 0;
  const openOnKey = (e: KeyboardEvent<HTMLTableRowElement>, entry: LogEntry) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onOpen(entry);
    }
  };

  return (
    <>
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
                aria-label={`${e.action} by ${actorLabel(e)}, ${new Date(e.occurred_at).toLocaleString()}`}
                onClick={() => onOpen(e)}
                onKeyDown={(k) => openOnKey(k, e)}
                data-testid="event-row"
              >
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Text fw={500}>{e.action}</Text>
                    <Badge variant="light">{e.category}</Badge>
                    {e.outcome !== 'success' && <Badge color="red">{e.outcome}</Badge>}
                    {e.source === 'platform' ? (
                      <Badge color="indigo.8" variant="outline" title="Written by Audit Trail itself: no API key can write such an entry" data-testid="source-badge">
                        Platform
                      </Badge>
                    ) : (
                      <Badge color="gray.7" variant="outline" title={e.api_key_id ? `Sent over the API by key ${e.api_key_id}` : 'Sent over the API'} data-testid="source-badge">
                        API
                      </Badge>
                    )}
                    {e.sealed && (
                      <Badge color="teal.9" variant="outline" title="In the signed Merkle tree: any later change is detectable">
                        Sealed
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>{actorLabel(e)}</Table.Td>
                <Table.Td>{targetLabel(e)}</Table.Td>
                <Table.Td>{e.ip ?? ''}</Table.Td>
                <Table.Td title={`${e.occurred_at} (UTC)`}>{new Date(e.occurred_at).toLocaleString()}</Table.Td>
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
