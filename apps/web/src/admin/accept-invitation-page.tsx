import { Alert, Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, ApiError } from '../lib/api';

/** Where an invitation link lands: choose a name and password, and you are in. */
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
      await api('POST', `/v1/invitations/${token ?? ''}/accept`, { name: f.get('name'), password: f.get('password') });
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
            <TextInput label="Your name" name="name" required />
            <PasswordInput label="Password" name="password" required description="At least 10 characters." />
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
