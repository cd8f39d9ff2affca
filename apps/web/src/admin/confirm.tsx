import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
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
