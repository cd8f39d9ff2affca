import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, formText } from '../lib/api';
import { useAction } from '../lib/use-action';

/** Ask for a reset link. The answer is the same whether or not the email has a login. */
export function ForgotPasswordPage() {
  const [sent, setSent] = useState(false);
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const email = formText(new FormData(e.currentTarget), 'email');
    return run(async () => {
      await api('POST', '/v1/auth/password-reset', { email });
      setSent(true);
    });
  };
  return (
    <Center mih="100vh">
      <Paper withBorder p="xl" w={380} component="form" onSubmit={(e) => void submit(e)} aria-label="Reset your password">
        <Stack>
          <Title order={2}>Reset your password</Title>
          {sent ? (
            <Alert color="teal" title="Check your email">
              If that address has an Audit Trail login, a link to choose a new password is on its way. It works once, for 30 minutes.
            </Alert>
          ) : (
            <>
              <TextInput name="email" type="email" label="Email" required autoComplete="email" />
              {error && (
                <Alert color="red" role="alert">
                  {error}
                </Alert>
              )}
              <Button type="submit" loading={busy}>
                Email me a link
              </Button>
            </>
          )}
          <Text size="sm">
            <Anchor component={Link} to="/login">
              Back to sign in
            </Anchor>
          </Text>
        </Stack>
      </Paper>
    </Center>
  );
}

/** Choose a new password with the emailed link. */
export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const password = formText(new FormData(e.currentTarget), 'password');
    return run(async () => {
      await api('POST', '/v1/auth/password-reset/complete', { token: params.get('token') ?? '', password });
      setDone(true);
    });
  };
  return (
    <Center mih="100vh">
      <Paper withBorder p="xl" w={380} component="form" onSubmit={(e) => void submit(e)} aria-label="Choose a new password">
        <Stack>
          <Title order={2}>Choose a new password</Title>
          {done ? (
            <Alert color="teal" title="Password changed">
              You are signed out everywhere. <Anchor component={Link} to="/login">Sign in</Anchor> with your new password.
            </Alert>
          ) : (
            <>
              <PasswordInput name="password" label="New password" required minLength={10} autoComplete="new-password" description="At least 10 characters" />
              {error && (
                <Alert color="red" role="alert">
                  {error}
                </Alert>
              )}
              <Button type="submit" loading={busy}>
                Set password
              </Button>
            </>
          )}
        </Stack>
      </Paper>
    </Center>
  );
}
