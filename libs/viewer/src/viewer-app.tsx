import { Alert, Button, Group, NativeSelect, Stack, Text, TextInput, Title } from '@mantine/core';
import { EntryDrawer, type LogEntry, LogTable } from '@audit-trail/log-view';
import { AuthenticationError, AuditTrailError, ViewerClient, type ViewerFilters } from '@audit-trail/sdk';
import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AuditTrailViewerProps } from './props';

function explain(err: unknown): string {
  if (err instanceof AuthenticationError) return 'This view has expired or its link is not valid. Reload the page to see the activity again.';
  if (err instanceof AuditTrailError) return err.detail;
  return 'The activity could not be loaded: the server did not answer.';
}

/** A datetime-local value (the reader's zone) as RFC 3339; empty stays empty. */
const toIso = (v: string, end = false) => (v ? new Date(new Date(v).getTime() + (end ? 59_999 : 0)).toISOString() : undefined);

/**
 * The log of one viewer token's slice: filters, the table, the entry drawer
 * and its diff — the console's own components, reading /v1/viewer/events.
 */
export function ViewerApp({ token, baseUrl, pageSize = 50, title = 'Activity' }: AuditTrailViewerProps) {
  const client = useMemo(() => new ViewerClient({ token, baseUrl: baseUrl ?? window.location.origin }), [token, baseUrl]);
  const [filters, setFilters] = useState<ViewerFilters>({});
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<LogEntry | null>(null);
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current;
    const abort = new AbortController();
    setLoading(true);
    setError(null);
    setEntries([]);
    client
      .page({ ...filters, limit: pageSize }, null, abort.signal)
      .then((page) => {
        if (generation.current !== mine) return;
        setEntries(page.entries);
        setCursor(page.next_cursor);
      })
      .catch((err: unknown) => generation.current === mine && !abort.signal.aborted && setError(explain(err)))
      .finally(() => generation.current === mine && setLoading(false));
    return () => abort.abort();
  }, [client, filters, pageSize]);

  const loadMore = useCallback(() => {
    if (!cursor || loadingMore) return;
    const mine = generation.current;
    setLoadingMore(true);
    client
      .page({ ...filters, limit: pageSize }, cursor)
      .then((page) => {
        if (generation.current !== mine) return;
        setEntries((prev) => [...prev, ...page.entries]);
        setCursor(page.next_cursor);
      })
      .catch((err: unknown) => setError(explain(err)))
      .finally(() => setLoadingMore(false));
  }, [client, cursor, filters, loadingMore, pageSize]);

  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const field = (name: string) => {
      const v = form.get(name);
      return typeof v === 'string' && v.trim() ? v.trim() : undefined;
    };
    const outcome = field('outcome');
    setFilters({
      action: field('action'),
      q: field('q'),
      from: toIso(field('from') ?? ''),
      to: toIso(field('to') ?? '', true),
      outcome: outcome === 'success' || outcome === 'failure' ? outcome : undefined,
    });
  };

  return (
    <Stack gap="sm">
      {title && <Title order={3}>{title}</Title>}
      <form onSubmit={apply} aria-label="Filters">
        <Group align="end" wrap="wrap" gap="xs">
          <TextInput label="Action" name="action" placeholder="project.* or project.deleted" size="xs" />
          <TextInput label="Search" name="q" placeholder="Any text" size="xs" />
          <TextInput label="From" name="from" type="datetime-local" size="xs" />
          <TextInput label="To" name="to" type="datetime-local" size="xs" />
          <NativeSelect label="Outcome" name="outcome" size="xs" data={[{ value: '', label: 'All' }, { value: 'success', label: 'Success' }, { value: 'failure', label: 'Failure' }]} />
          <Button type="submit" size="xs">
            Apply
          </Button>
          <Button type="reset" size="xs" variant="subtle" onClick={() => setFilters({})}>
            Clear
          </Button>
        </Group>
      </form>
      {error && (
        <Alert color="red" role="alert" title="Could not show the activity">
          {error}
        </Alert>
      )}
      {!loading && !error && entries.length === 0 && <Text c="dimmed">Nothing to show yet.</Text>}
      <LogTable entries={entries} loading={loading} hasMore={Boolean(cursor)} loadingMore={loadingMore} onLoadMore={loadMore} onOpen={setSelected} />
      <EntryDrawer entry={selected} onClose={() => setSelected(null)} withinPortal={false} />
    </Stack>
  );
}
