import { ActionIcon, Button, CopyButton, Group, Menu, Modal, Stack, Text, TextInput } from '@mantine/core';
import { IconBookmark, IconCopy, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { api, ApiError, problemText } from '../lib/api';

export interface SavedSearch {
  id: string;
  name: string;
  /** The Audit Log's query string (filters and log), without an open entry. */
  query: string;
}

/** Where an earlier version kept saved searches, in the browser: moved to the server once, then removed. */
const legacyKey = (accountId: string, who: string) => `audit-trail:saved-searches:${accountId}:${who}`;

function takeLegacy(accountId: string, who: string): { name: string; query: string }[] {
  try {
    const raw = localStorage.getItem(legacyKey(accountId, who));
    const list: unknown = raw ? JSON.parse(raw) : [];
    if (!Array.isArray(list)) return [];
    return list.filter((s: unknown): s is { name: string; query: string } => typeof s === 'object' && s !== null && typeof (s as { name?: unknown }).name === 'string' && typeof (s as { query?: unknown }).query === 'string');
  } catch {
    return [];
  }
}

/** Move what an earlier version kept in this browser to the server; only what the server stored leaves the browser. */
async function moveLegacy(accountId: string, who: string): Promise<void> {
  const legacy = takeLegacy(accountId, who);
  if (legacy.length === 0) return;
  const left = await Promise.all(legacy.map((s) => api('POST', '/v1/saved-searches', s).then(() => null, () => s)));
  const kept = left.filter((s) => s !== null);
  if (kept.length === 0) localStorage.removeItem(legacyKey(accountId, who));
  else localStorage.setItem(legacyKey(accountId, who), JSON.stringify(kept));
}

/** A refused save in the API's words: the field's message when there is one. */
const saveError = (e: unknown) => (e instanceof ApiError && e.problem.errors?.[0] ? `${e.problem.errors[0].path}: ${e.problem.errors[0].message}` : problemText(e));

/**
 * Named filter sets: save the current view under a name, open it again from
 * the list, copy its link to share it (the filters are all in the address),
 * or delete it. Kept on the server for the person who saved them, so they
 * follow that person to any browser.
 */
export function SavedSearches({ accountId, who, current }: { accountId: string; who: string; current: string }) {
  const qc = useQueryClient();
  const key = ['saved-searches', accountId];
  // Searches an earlier version kept in this browser move to the server before the list is read, so the list has them.
  const list = useQuery({
    queryKey: key,
    queryFn: async () => {
      await moveLegacy(accountId, who);
      return api<{ data: SavedSearch[] }>('GET', '/v1/saved-searches');
    },
  });
  const [naming, setNaming] = useState(false);
  const refresh = () => void qc.invalidateQueries({ queryKey: key });
  const save = useMutation({
    mutationFn: (s: { name: string; query: string }) => api<SavedSearch>('POST', '/v1/saved-searches', s),
    onSuccess: () => {
      setNaming(false);
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: (s: SavedSearch) => api('DELETE', `/v1/saved-searches/${s.id}`), onSuccess: refresh });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const raw = new FormData(e.currentTarget).get('name');
    const name = typeof raw === 'string' ? raw.trim() : '';
    if (name) save.mutate({ name, query: current });
  };
  const searches = list.data?.data ?? [];
  return (
    <>
      <Menu position="bottom-end" withinPortal closeOnItemClick>
        <Menu.Target>
          <Button variant="default" leftSection={<IconBookmark size={16} aria-hidden="true" />}>
            Saved
          </Button>
        </Menu.Target>
        <Menu.Dropdown aria-label="Saved searches" miw={280}>
          <Menu.Item onClick={() => setNaming(true)}>Save this search…</Menu.Item>
          <Menu.Divider />
          {remove.error && (
            <Text size="xs" c="red" px="sm" py={6} role="alert">
              {problemText(remove.error)}
            </Text>
          )}
          {list.error ? (
            <Text size="xs" c="red" px="sm" py={6}>
              {problemText(list.error)}
            </Text>
          ) : list.isPending ? (
            <Text size="xs" c="dimmed" px="sm" py={6}>
              Loading…
            </Text>
          ) : searches.length === 0 ? (
            <Text size="xs" c="dimmed" px="sm" py={6}>
              No saved searches yet.
            </Text>
          ) : (
            searches.map((s) => (
              <Group key={s.id} gap={2} wrap="nowrap" pr={4}>
                <Menu.Item component={Link} to={`/audit-log${s.query ? `?${s.query}` : ''}`} style={{ flex: 1 }} data-testid="saved-search">
                  {s.name}
                </Menu.Item>
                <CopyButton value={`${window.location.origin}/audit-log${s.query ? `?${s.query}` : ''}`}>
                  {({ copy }) => (
                    <ActionIcon variant="subtle" color="gray" size="sm" aria-label={`Copy link to ${s.name}`} onClick={copy}>
                      <IconCopy size={14} aria-hidden="true" />
                    </ActionIcon>
                  )}
                </CopyButton>
                <ActionIcon variant="subtle" color="red" size="sm" aria-label={`Delete ${s.name}`} loading={remove.isPending && remove.variables?.id === s.id} onClick={() => remove.mutate(s)}>
                  <IconTrash size={14} aria-hidden="true" />
                </ActionIcon>
              </Group>
            ))
          )}
        </Menu.Dropdown>
      </Menu>
      <Modal opened={naming} onClose={() => setNaming(false)} title="Save this search">
        <form onSubmit={submit} aria-label="Save this search">
          <Stack>
            <TextInput label="Name" name="name" required data-autofocus placeholder="Failed sign-ins this week" error={save.error ? saveError(save.error) : undefined} />
            <Text size="xs" c="dimmed">
              Kept for you in this account, on any browser you sign in from. Its link opens the same view for anyone who may read this log.
            </Text>
            <Group justify="flex-end">
              <Button type="submit" loading={save.isPending}>
                Save
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
