import { ActionIcon, Button, CopyButton, Group, Menu, Modal, Stack, Text, TextInput } from '@mantine/core';
import { IconBookmark, IconCopy, IconTrash } from '@tabler/icons-react';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';

export interface SavedSearch {
  name: string;
  /** The Audit Log's query string (filters and log), without an open entry. */
  query: string;
}

/** Saved searches are kept per person and account, in this browser. */
const storageKey = (accountId: string, who: string) => `audit-trail:saved-searches:${accountId}:${who}`;

export function loadSaved(accountId: string, who: string): SavedSearch[] {
  try {
    const raw = localStorage.getItem(storageKey(accountId, who));
    const list: unknown = raw ? JSON.parse(raw) : [];
    if (!Array.isArray(list)) return [];
    return list.filter((s: unknown): s is SavedSearch => typeof s === 'object' && s !== null && typeof (s as SavedSearch).name === 'string' && typeof (s as SavedSearch).query === 'string');
  } catch {
    return [];
  }
}

function store(accountId: string, who: string, list: SavedSearch[]): void {
  localStorage.setItem(storageKey(accountId, who), JSON.stringify(list));
}

/**
 * Named filter sets: save the current view under a name, open it again from
 * the list, copy its link to share it (the filters are all in the address),
 * or delete it. Kept in this browser, per person and account.
 */
export function SavedSearches({ accountId, who, current }: { accountId: string; who: string; current: string }) {
  const [list, setList] = useState(() => loadSaved(accountId, who));
  const [naming, setNaming] = useState(false);
  const save = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const raw = new FormData(e.currentTarget).get('name');
    const name = typeof raw === 'string' ? raw.trim() : '';
    if (!name) return;
    const next = [...list.filter((s) => s.name !== name), { name, query: current }].sort((a, b) => a.name.localeCompare(b.name));
    store(accountId, who, next);
    setList(next);
    setNaming(false);
  };
  const remove = (name: string) => {
    const next = list.filter((s) => s.name !== name);
    store(accountId, who, next);
    setList(next);
  };
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
          {list.length > 0 && <Menu.Divider />}
          {list.length === 0 ? (
            <Text size="xs" c="dimmed" px="sm" py={6}>
              No saved searches yet.
            </Text>
          ) : (
            list.map((s) => (
              <Group key={s.name} gap={2} wrap="nowrap" pr={4}>
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
                <ActionIcon variant="subtle" color="red" size="sm" aria-label={`Delete ${s.name}`} onClick={() => remove(s.name)}>
                  <IconTrash size={14} aria-hidden="true" />
                </ActionIcon>
              </Group>
            ))
          )}
        </Menu.Dropdown>
      </Menu>
      <Modal opened={naming} onClose={() => setNaming(false)} title="Save this search">
        <form onSubmit={save} aria-label="Save this search">
          <Stack>
            <TextInput label="Name" name="name" required data-autofocus placeholder="Failed sign-ins this week" />
            <Text size="xs" c="dimmed">
              Kept in this browser for you. Its link opens the same view for anyone who may read this log.
            </Text>
            <Group justify="flex-end">
              <Button type="submit">Save</Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
