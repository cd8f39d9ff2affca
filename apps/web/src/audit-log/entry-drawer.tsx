import { Button, CopyButton, Text } from '@mantine/core';
import { EntryDrawer as SharedEntryDrawer, type LogEntry } from '@audit-trail/log-view';
import { useState } from 'react';
import { api, problemText } from '../lib/api';

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
      document.body.append(a);
      a.click();
      a.remove();
      // The browser reads the blob after click() returns; revoking it at once can cancel the download.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
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

/** The shared entry drawer, with what only the console has: a permalink and the entry's proof. */
export function EntryDrawer({ entry, onClose }: { entry: LogEntry | null; onClose: () => void }) {
  return (
    <SharedEntryDrawer
      entry={entry}
      onClose={onClose}
      actions={(e) => (
        <>
          <CopyButton value={`${window.location.origin}/audit-log?${new URLSearchParams({ event: e.id, ...(e.workspace_id ? { scope: 'workspace', workspace_id: e.workspace_id } : {}) })}`}>
            {({ copied, copy }) => (
              <Button size="xs" variant="default" onClick={copy}>
                {copied ? 'Copied link' : 'Copy link'}
              </Button>
            )}
          </CopyButton>
          {e.sealed && <ProofButton id={e.id} />}
        </>
      )}
    />
  );
}
