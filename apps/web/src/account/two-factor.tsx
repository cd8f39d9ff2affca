import { Alert, Badge, Button, Code, CopyButton, Group, Image, List, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, formText } from '../lib/api';
import { useAction } from '../lib/use-action';

interface Setup {
  secret: string;
  otpauth_url: string;
  qr_code: string;
}

/** Turn two-factor sign-in on (QR code, first code, recovery codes shown once) or off (with a code). */
export function TwoFactorCard({ enabled }: { enabled: boolean }) {
  const qc = useQueryClient();
  const [setup, setSetup] = useState<Setup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [turningOff, setTurningOff] = useState(false);
  const { busy, error, run } = useAction();
  const start = () => run(async () => setSetup(await api<Setup>('POST', '/v1/auth/mfa/totp/setup')));
  const confirm = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const code = formText(new FormData(e.currentTarget), 'code');
    void run(async () => {
      const res = await api<{ recovery_codes: string[] }>('POST', '/v1/auth/mfa/totp/enable', { code });
      setSetup(null);
      setCodes(res.recovery_codes);
    });
  };
  const turnOff = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const value = formText(new FormData(e.currentTarget), 'code');
    void run(async () => {
      await api('POST', '/v1/auth/mfa/totp/disable', /^\d{6}$/.test(value) ? { code: value } : { recovery_code: value });
      setTurningOff(false);
      await qc.invalidateQueries({ queryKey: ['account'] });
    });
  };

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="two-factor-title">
      <Stack>
        <Group justify="space-between">
          <Title order={3} id="two-factor-title">
            Two-factor sign-in
          </Title>
          {enabled && !codes && <Badge color="teal.9">On</Badge>}
        </Group>
        {codes ? (
          <Stack data-testid="recovery-codes">
            <Alert color="yellow" title="Save your recovery codes now">
              Each code signs you in once if you lose your phone. They are shown this once. Only their hashes are stored.
            </Alert>
            <List spacing={2}>
              {codes.map((c) => (
                <List.Item key={c}>
                  <Code>{c}</Code>
                </List.Item>
              ))}
            </List>
            <Group>
              <CopyButton value={codes.join('\n')}>
                {({ copied, copy }) => (
                  <Button variant="default" onClick={copy}>
                    {copied ? 'Copied' : 'Copy codes'}
                  </Button>
                )}
              </CopyButton>
              <Button
                onClick={() => {
                  setCodes(null);
                  void qc.invalidateQueries({ queryKey: ['account'] });
                }}
              >
                I saved them
              </Button>
            </Group>
          </Stack>
        ) : setup ? (
          <form onSubmit={confirm} aria-label="Confirm two-factor">
            <Stack>
              <Text size="sm">Scan this code with an authenticator app (1Password, Google Authenticator, Authy…), then enter the 6 digits it shows.</Text>
              <Image src={setup.qr_code} alt="QR code for your authenticator app" w={180} h={180} />
              <Text size="sm">
                Or type this key: <Code data-testid="totp-secret">{setup.secret}</Code>
              </Text>
              <TextInput name="code" label="Code from the app" inputMode="numeric" autoComplete="one-time-code" required pattern="\d{6}" maxLength={6} w={200} />
              <Group>
                <Button type="submit" loading={busy}>
                  Turn on
                </Button>
                <Button variant="subtle" onClick={() => setSetup(null)}>
                  Cancel
                </Button>
              </Group>
            </Stack>
          </form>
        ) : enabled ? (
          turningOff ? (
            <form onSubmit={turnOff} aria-label="Turn off two-factor">
              <Stack>
                <TextInput name="code" label="A current code or a recovery code" required w={280} autoComplete="one-time-code" />
                <Group>
                  <Button type="submit" color="red" loading={busy}>
                    Turn off
                  </Button>
                  <Button variant="subtle" onClick={() => setTurningOff(false)}>
                    Cancel
                  </Button>
                </Group>
              </Stack>
            </form>
          ) : (
            <Group justify="space-between">
              <Text size="sm">Signing in asks for a code from your authenticator app after your password.</Text>
              <Button variant="default" onClick={() => setTurningOff(true)}>
                Turn off
              </Button>
            </Group>
          )
        ) : (
          <Group justify="space-between">
            <Text size="sm">Protect your sign-in with a code from an authenticator app, on top of your password.</Text>
            <Button onClick={() => void start()} loading={busy}>
              Set up two-factor
            </Button>
          </Group>
        )}
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}
