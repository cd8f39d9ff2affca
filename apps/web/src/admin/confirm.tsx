import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { problemText } from '../lib/api';

/** A destructive step, said plainly, with the API's answer when it refuses. */
export function Confirm({ opened, title, body, action, onConfirm, onClose, pending, error }: { opened: boolean; title: string; body: string; action: string; onConfirm: () => void; onClose: () => void; pending: boolean; error: unknown }) {
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <Stack>
        <Text>{body}</Text>
        {error ? <Alert color="red">{problemText(error)}</Alert> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color="red" loading={pending} onClick={onConfirm}>
            {action}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/**
 * The one style of a row's action across the console's tables: small and
 * light, red when it destroys something (a confirmation follows).
 */
export function RowAction({ danger = false, ...props }: { danger?: boolean; children: ReactNode; onClick: () => void; disabled?: boolean; 'aria-label'?: string }) {
  return <Button size="xs" variant="light" color={danger ? 'red' : 'gray'} {...props} />;
}
