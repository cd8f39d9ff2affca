import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, ApiError, formText } from '../lib/api';

export function AuthPage({ mode }: { mode: 'login' | 'signup' }) {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // After a right password, when the person has two-factor on: ask for the code (or a recovery code).
  const [secondFactor, setSecondFactor] = useState<'totp' | 'recovery_code' | null>(null);
  // "Continue with SSO": only the email, then off to the identity provider of its domain.
  const [sso, setSso] = useState(false);
  const [email, setEmail] = useState('');
  const ssoError = params.get('sso_error');

  const continueWithSso = async () => {
    setBusy(true);
    setError(null);
    try {
      const found = await api<{ sso: boolean; start_url?: string }>('POST', '/v1/sso/discover', { email });
      if (found.sso && found.start_url) {
        window.location.assign(found.start_url);
        return;
      }
      setError('Single sign-on is not set up for this email’s domain. Sign in with your password.');
    } catch (err) {
      setError(err instanceof ApiError ? err.problem.errors?.map((x) => `${x.path}: ${x.message}`).join('; ') || err.message : 'The server could not be reached.');
    }
    setBusy(false);
  };

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (sso) return continueWithSso();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      if (mode === 'signup') {
        await api('POST', '/v1/signup', { account_name: form.get('account_name'), email: form.get('email'), password: form.get('password') });
      } else {
        const code = formText(form, 'second_factor');
        await api('POST', '/v1/auth/login', { email: form.get('email'), password: form.get('password'), ...(secondFactor && code ? { [secondFactor]: code } : {}) });
      }
      await qc.invalidateQueries({ queryKey: ['account'] });
      void navigate(params.get('next') ?? '/audit-log', { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && err.problem.type?.endsWith('/mfa-required')) {
        setSecondFactor((f) => f ?? 'totp');
        if (!secondFactor) return;
      }
      if (err instanceof ApiError && err.problem.type?.endsWith('/sso-required')) setSso(true);
      if (err instanceof ApiError) {
        setError(err.problem.errors?.map((x) => `${x.path}: ${x.message}`).join('; ') || err.message);
      } else setError('The server could not be reached.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh">
      <Paper withBorder p="xl" w={380} component="form" onSubmit={(e) => void submit(e)} aria-label={mode === 'login' ? 'Sign in' : 'Sign up'}>
        <Stack>
          <Title order={2}>{mode === 'login' ? 'Sign in to Audit Trail' : 'Create your account'}</Title>
          {mode === 'signup' && <TextInput name="account_name" label="Company name" required />}
          {ssoError && !error && (
            <Alert color="red" role="alert" title="Single sign-on did not finish">
              {ssoError}
            </Alert>
          )}
          <TextInput name="email" type="email" label={sso ? 'Work email' : 'Email'} required autoComplete="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          {!sso && (
            <PasswordInput
              name="password"
              label="Password"
              required
              minLength={mode === 'signup' ? 10 : 1}
              autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
              description={mode === 'signup' ? 'At least 10 characters' : undefined}
            />
          )}
          {secondFactor && !sso && (
            <Stack gap={4}>
              <TextInput
                key={secondFactor}
                name="second_factor"
                label={secondFactor === 'totp' ? 'Authentication code' : 'Recovery code'}
                description={secondFactor === 'totp' ? 'The 6 digits your authenticator app shows' : 'One of the codes you saved when you turned two-factor on'}
                required
                autoFocus
                autoComplete="one-time-code"
                inputMode={secondFactor === 'totp' ? 'numeric' : 'text'}
              />
              <Anchor component="button" type="button" size="sm" onClick={() => setSecondFactor(secondFactor === 'totp' ? 'recovery_code' : 'totp')}>
                {secondFactor === 'totp' ? 'Use a recovery code instead' : 'Use the authenticator app instead'}
              </Anchor>
            </Stack>
          )}
          {error && (
            <Alert color="red" role="alert" title={mode === 'login' ? 'Could not sign in' : 'Could not sign up'}>
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy}>
            {sso ? 'Continue' : mode === 'login' ? 'Sign in' : 'Sign up'}
          </Button>
          {mode === 'login' && (
            <Button
              variant="default"
              onClick={() => {
                setSso(!sso);
                setError(null);
              }}
            >
              {sso ? 'Sign in with a password' : 'Continue with SSO'}
            </Button>
          )}
          <Text size="sm">
            {mode === 'login' ? (
              <>
                No account yet? <Anchor component={Link} to="/signup">Sign up</Anchor> ·{' '}
                <Anchor component={Link} to="/forgot-password">
                  Forgot your password?
                </Anchor>
              </>
            ) : (
              <>
                Already have an account? <Anchor component={Link} to="/login">Sign in</Anchor>
              </>
            )}
          </Text>
        </Stack>
      </Paper>
    </Center>
  );
}
