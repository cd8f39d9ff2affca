import { Alert, Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, ApiError } from '../lib/api';

/**
 * Where an invitation link lands: a new person chooses a name and password; a
 * person who already has a login (in another account) enters its password.
 */
export function AcceptInvitationPage() {
  const { token } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const raw = f.get('name');
      const name = typeof raw === 'string' ? raw.trim() : '';
      await api('POST', `/v1/invitations/${token ?? ''}/accept`, { ...(name ? { name } : {}), password: f.get('password') });
      // The new session is in the inviting account: forget what was cached for another.
      qc.clear();
      await qc.invalidateQueries({ queryKey: ['account'] });
      void navigate('/', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? (err.problem.errors?.map((x) => `${x.path}: ${x.message}`).join('; ') || err.message) : 'The server could not be reached.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <Center h="100vh">
      <Paper withBorder p="xl" w={420}>
        <form onSubmit={(e) => void submit(e)} aria-label="Accept the invitation">
          <Stack>
            <Title order={2}>Join your team</Title>
            <TextInput label="Your name" name="name" description="Leave empty if you already have an Audit Trail login." />
            <PasswordInput label="Password" name="password" required description="New here: choose one of at least 10 characters. Already have a login: its password." />
            {error && <Alert color="red">{error}</Alert>}
            <Button type="submit" loading={busy}>
              Accept invitation
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
