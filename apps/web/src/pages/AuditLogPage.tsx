import { Alert, Autocomplete, Badge, Button, CloseButton, Code, Drawer, Group, Paper, Select, Stack, Text, TextInput, ThemeIcon, Title } from '@mantine/core';
import { IconFilterOff, IconListSearch } from '@tabler/icons-react';
import { useMediaQuery } from '@mantine/hooks';
import { type LogEntry, LogTable } from '@audit-trail/log-view';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { type FormEvent, useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ExportDialog } from '../exports/exports';
import { ActivityChart } from '../audit-log/activity-chart';
import { EntryDrawer } from '../audit-log/entry-drawer';
import { SavedSearches } from '../audit-log/saved-searches';
import { formatSearch, parseSearch, SEARCH_KEYS } from '../audit-log/search-query';
import { type Account, api, ApiError, type AuditEvent, type EventPage, type WorkspaceView } from '../lib/api';
import { localInputToIso, toLocalInput } from '../lib/local-time';

/** Filters the page understands; they live in the URL so a view can be shared. */
const FILTERS = ['scope', 'workspace_id', 'from', 'to', 'actor_email', 'actor_id', 'ip', 'category', 'action', 'target_type', 'target_id', 'outcome', 'outcome_not', 'source', 'api_key_id', 'q'] as const;
/** What the search box shows; the other filters have their own fields. */
const BOX_KEYS = ['action', 'actor_id', 'target_type', 'target_id', 'outcome_not', 'source', 'api_key_id', 'q'];

/** How each filter reads on its chip above the table. */
const CHIP_NAMES: Record<string, string> = { from: 'From', to: 'To', actor_email: 'Member', actor_id: 'Actor', ip: 'IP', category: 'Type', action: 'Action', target_type: 'Target type', target_id: 'Target', outcome: 'Outcome', outcome_not: 'Outcome not', source: 'Source', api_key_id: 'Key', q: 'Text' };

/** Rows per request; the table asks for the next page as the reader nears the end. */
const PAGE = 100;

function toInputValue(iso: string | null): string {
  return iso ? iso.slice(0, 16) : '';
}


export function AuditLogPage({ account }: { account: Account }) {
  const [urlParams, setParams] = useSearchParams();
  const isMember = account.me.kind === 'user' && account.me.role === 'member';
  // A member has no account log: their view is always of workspaces.
  const params = useMemo(() => {
    if (!isMember || urlParams.get('scope')) return urlParams;
    const p = new URLSearchParams(urlParams);
    p.set('scope', 'workspace');
    return p;
  }, [urlParams, isMember]);
  // The entry last opened by a click (the drawer shows it at once, before any fetch).
  const [clicked, setClicked] = useState<LogEntry | null>(null);
  const [exporting, setExporting] = useState(false);
  // The filters as the API reads them (from/to in UTC); the chart and the table share them.
  const filterQs = useMemo(() => {
    const q = new URLSearchParams();
    for (const f of FILTERS) {
      for (const v of params.getAll(f)) {
        if (!v) continue;
        q.append(f, f === 'from' || f === 'to' ? localInputToIso(v, f === 'to') : v);
      }
    }
    return q.toString();
  }, [params]);
  const query = `${filterQs}${filterQs ? '&' : ''}limit=${PAGE}`;

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

  const members = useQuery({ queryKey: ['members'], queryFn: () => api<{ data: { email: string | null }[] }>('GET', '/v1/members'), enabled: account.me.kind === 'user' });
  const workspaces = useQuery({ queryKey: ['workspaces'], queryFn: () => api<{ data: WorkspaceView[] }>('GET', '/v1/workspaces') });
  const [searchErrors, setSearchErrors] = useState<string[]>([]);

  // The open entry lives in the URL (?event=…): the address can be shared, and Back closes it.
  // The drawer is open exactly when the address names an entry.
  const permalink = params.get('event');
  const known = permalink ? (clicked?.id === permalink ? clicked : null) : null;
  const linked = useQuery({
    queryKey: ['event', permalink],
    queryFn: () => api<AuditEvent>('GET', `/v1/events/${permalink}`),
    enabled: Boolean(permalink) && !known,
  });
  const selected: LogEntry | null = permalink ? (known ?? (linked.data?.id === permalink ? linked.data : null)) : null;
  const openEntry = useCallback(
    (entry: LogEntry) => {
      setClicked(entry);
      const next = new URLSearchParams(urlParams);
      next.set('event', entry.id);
      setParams(next);
    },
    [urlParams, setParams],
  );

  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const field = (name: string) => {
      const raw = form.get(name);
      return typeof raw === 'string' ? raw.trim() : '';
    };
    const next = new URLSearchParams();
    for (const k of ['scope', 'workspace_id']) if (params.get(k)) next.set(k, params.get(k) as string);
    for (const f of ['from', 'to', 'actor_email', 'ip', 'category', 'outcome']) if (field(f)) next.set(f, field(f));
    // The search box: qualifiers (action:, actor:, target:, -outcome:, …) and text.
    const parsed = parseSearch(field('search'));
    setSearchErrors(parsed.errors);
    for (const [k, v] of Object.entries(parsed.params)) {
      next.delete(k);
      for (const x of Array.isArray(v) ? v : [v]) next.append(k, x);
    }
    setParams(next);
  };
  const boxText = formatSearch(new URLSearchParams([...params.entries()].filter(([k]) => BOX_KEYS.includes(k))));
  // Owners and admins start on the account log; a member who administers
  // workspaces starts on all of them (the API answers only those).
  const mine = isMember ? new Set(account.me.admin_workspace_ids ?? []) : null;
  const logValue = params.get('workspace_id') ? (params.get('workspace_id') as string) : isMember || params.get('scope') === 'workspace' ? 'workspaces' : 'account';
  const logOptions = [
    ...(isMember ? [] : [{ value: 'account', label: 'Account log' }]),
    { value: 'workspaces', label: isMember ? 'All my workspaces' : 'All workspaces' },
    ...(workspaces.data?.data ?? []).filter((w) => !mine || mine.has(w.id)).map((w) => ({ value: w.id, label: `Workspace: ${w.name}` })),
  ];
  const switchLog = (v: string | null) => {
    const next = new URLSearchParams(params);
    for (const k of SEARCH_KEYS) next.delete(k);
    next.delete('event');
    if (!v || v === 'account') {
      next.delete('scope');
      next.delete('workspace_id');
    } else if (v === 'workspaces') {
      next.set('scope', 'workspace');
      next.delete('workspace_id');
    } else {
      next.set('scope', 'workspace');
      next.set('workspace_id', v);
    }
    setParams(next);
  };

  const rows = useMemo(() => events.data?.pages.flatMap((p) => p.entries) ?? [], [events.data]);
  const logWindow = events.data?.pages[0]?.window;
  const viewDays = account.entitlements.view_window_days;
  // The date inputs stop at the plan's view window (the browser refuses earlier dates).
  const unlimited = account.plans.find((p) => p.entitlements.view_window_days === null);
  const minFrom = viewDays === null ? undefined : toLocalInput(new Date(Date.now() - viewDays * 86_400_000));
  const windowNote =
    viewDays === null
      ? `Your plan (${account.plan_name}) shows every stored event.`
      : `Your plan (${account.plan_name}) shows the last ${viewDays} days, so earlier dates cannot be chosen.${unlimited ? ` ${unlimited.name} shows everything kept.` : ''}`;

  const pickRange = (from: Date, to: Date) => {
    const next = new URLSearchParams(params);
    next.set('from', toLocalInput(from));
    next.set('to', toLocalInput(to));
    next.delete('event');
    setParams(next);
  };

  // Every active filter as a chip with its own remove button (what the search box moved into fields too).
  const categoryName = (id: string) => catalog.data?.categories.find((c) => c.id === id)?.name ?? id;
  const chips = FILTERS.filter((f) => f in CHIP_NAMES).flatMap((f) =>
    params.getAll(f).filter(Boolean).map((value) => ({ key: f, value, label: `${CHIP_NAMES[f]}: ${f === 'category' ? categoryName(value) : f === 'from' || f === 'to' ? value.replace('T', ' ') : value}` })),
  );
  // Every filter off; the log chosen (account or workspace) stays.
  const resetFilters = () => setParams(new URLSearchParams([...params.entries()].filter(([k]) => k === 'scope' || k === 'workspace_id')));
  const removeFilter = (key: string, value: string) => {
    const next = new URLSearchParams();
    for (const [k, v] of params.entries()) if (!(k === key && v === value) && k !== 'event') next.append(k, v);
    setParams(next);
  };

  // What a saved search keeps: the address's filters and log, not an open entry.
  const savedQuery = new URLSearchParams([...urlParams.entries()].filter(([k]) => k !== 'event')).toString();

  const { fetchNextPage } = events;
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);

  // On a phone the filters live in a drawer behind a "Filters" button; wider screens show them inline.
  const narrow = useMediaQuery('(max-width: 47.99em)') ?? false;
  const [filtersOpen, setFiltersOpen] = useState(false);
  const filterForm = (vertical: boolean) => {
    const Fields = vertical ? Stack : Group;
    const layout = vertical ? { gap: 'sm' } : { align: 'end', wrap: 'wrap' as const };
    return (
    <form onSubmit={(e) => {
      apply(e);
      setFiltersOpen(false);
    }} aria-label="Filters" key={params.toString()}>
      <Fields {...layout}>
          <TextInput label="From" name="from" type="datetime-local" min={minFrom} defaultValue={toInputValue(params.get('from'))} aria-describedby="window-note" />
          <TextInput label="To" name="to" type="datetime-local" min={minFrom} defaultValue={toInputValue(params.get('to'))} aria-describedby="window-note" />
          <Autocomplete
            label="Team member"
            name="actor_email"
            placeholder="alice@acme.com"
            defaultValue={params.get('actor_email') ?? ''}
            data={[...new Set((members.data?.data ?? []).map((m) => m.email).filter((x): x is string => Boolean(x)))]}
          />
          <TextInput label="IP or CIDR" name="ip" placeholder="203.0.113.0/24" defaultValue={params.get('ip') ?? ''} />
          <Select
            label="Event type"
            name="category"
            placeholder="All"
            clearable
            data={(catalog.data?.categories ?? []).map((c) => ({ value: c.id, label: c.name }))}
            defaultValue={params.get('category')}
          />
          <Select label="Outcome" name="outcome" placeholder="All" clearable data={['success', 'failure']} defaultValue={params.get('outcome')} />
          <TextInput
            label="Search"
            name="search"
            miw={vertical ? undefined : 360}
            placeholder="action:api_key.* actor:alice@acme.com ip:203.0.113.0/24 -outcome:success text"
            description="Qualifiers action: actor: ip: target: category: outcome: (-outcome: excludes) source:platform|api key:<id>, and free text"
            defaultValue={boxText}
          />
          <Button type="submit">Apply</Button>
          <Button variant="subtle" onClick={resetFilters}>
            Clear
          </Button>
      </Fields>
    </form>
    );
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Group>
          <Title order={2}>Audit Log</Title>
          <Select
            aria-label="Log"
            value={logValue}
            onChange={switchLog}
            allowDeselect={false}
            data={logOptions}
          />
        </Group>
        <Group gap="xs">
          <SavedSearches key={account.id} accountId={account.id} who={account.me.user_id ?? 'key'} current={savedQuery} />
          {narrow && (
            <Button variant="default" onClick={() => setFiltersOpen(true)}>
              {chips.length > 0 ? `Filters (${chips.length})` : 'Filters'}
            </Button>
          )}
          <Button variant="default" onClick={() => setExporting(true)}>
            Export
          </Button>
        </Group>
      </Group>
      <ExportDialog account={account} opened={exporting} onClose={() => setExporting(false)} filters={params} />
      {narrow ? (
        <Drawer opened={filtersOpen} onClose={() => setFiltersOpen(false)} title="Filters" position="bottom" size="auto">
          {filterForm(true)}
        </Drawer>
      ) : (
        filterForm(false)
      )}
      {chips.length > 0 && (
        <Group gap="xs" aria-label="Active filters" role="group">
          {chips.map((c) => (
            <Badge
              key={`${c.key}=${c.value}`}
              variant="light"
              color="gray"
              size="lg"
              tt="none"
              fw={500}
              data-testid="filter-chip"
              rightSection={<CloseButton size="xs" aria-label={`Remove filter ${c.label}`} onClick={() => removeFilter(c.key, c.value)} />}
            >
              {c.label}
            </Badge>
          ))}
          {chips.length > 1 && (
            <Button variant="subtle" size="compact-sm" onClick={resetFilters}>
              Reset filters
            </Button>
          )}
        </Group>
      )}
      {searchErrors.length > 0 && (
        <Alert color="yellow" title="Part of the search was not used">
          {searchErrors.join('; ')}
        </Alert>
      )}
      <Text size="sm" c="dimmed" id="window-note">
        {windowNote}
      </Text>
      {logWindow?.clamped && (
        <Alert color="yellow" title="Start date moved">
          The start date was earlier than your plan allows, so the log starts at {new Date(logWindow.from ?? '').toLocaleString()}.
        </Alert>
      )}
      {events.error && (
        <Alert color="red" role="alert" title="Could not load the log">
          {events.error instanceof ApiError ? events.error.message : 'The server could not be reached.'}
        </Alert>
      )}
      {!events.error && <ActivityChart filters={filterQs} onPick={pickRange} />}
      {!events.isLoading && rows.length === 0 && !events.error && (
        <Paper withBorder p="xl" radius="md" data-testid="empty-state">
          <Stack align="center" gap="xs" ta="center">
            <ThemeIcon size={48} radius="xl" variant="light">
              {chips.length > 0 ? <IconFilterOff size={26} aria-hidden="true" /> : <IconListSearch size={26} aria-hidden="true" />}
            </ThemeIcon>
            <Title order={3} size="h4">
              {chips.length > 0 ? 'Nothing matches these filters' : 'No events in this log yet'}
            </Title>
            {chips.length > 0 ? (
              <>
                <Text c="dimmed" maw={520}>
                  Try a wider time range, or remove a filter above.
                </Text>
                <Button variant="light" onClick={resetFilters}>
                  Reset filters
                </Button>
              </>
            ) : (
              <>
                <Text c="dimmed" maw={560}>
                  Events appear here as your systems send them. Create a key on the API Keys page, then send one:
                </Text>
                <Code block ta="left" maw="100%" style={{ overflowX: 'auto' }}>{`export AUDIT_TRAIL_KEY=atk_…
curl -X POST ${window.location.origin}/v1/events \\
  -H "Authorization: Bearer $AUDIT_TRAIL_KEY" -H "Content-Type: application/json" \\
  -d '{"action":"document.update","actor":{"type":"user","id":"u_1","email":"you@example.com"}}'`}</Code>
              </>
            )}
          </Stack>
        </Paper>
      )}
      <LogTable
        entries={rows}
        loading={events.isLoading}
        hasMore={events.hasNextPage}
        loadingMore={events.isFetchingNextPage}
        onLoadMore={loadMore}
        onOpen={openEntry}
      />
      <EntryDrawer
        entry={selected}
        onClose={() => {
          if (permalink) {
            const next = new URLSearchParams(urlParams);
            next.delete('event');
            setParams(next);
          }
        }}
      />
    </Stack>
  );
}
