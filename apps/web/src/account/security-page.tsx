import { Alert, Paper, Stack, Switch, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, problemText } from '../lib/api';
import { ListSkeleton } from '../lib/skeleton';
import type { PageProps } from '../pages';
import { ScimSection } from './scim-section';
import { SsoSection } from './sso-section';

/** How people sign in to this account. */
export function SecurityPage({ account }: PageProps) {
  const qc = useQueryClient();
  const settings = useQuery({ queryKey: ['security'], queryFn: () => api<{ require_mfa: boolean; require_sso: boolean }>('GET', '/v1/security') });
  const save = useMutation({
    mutationFn: (require_mfa: boolean) => api<{ require_mfa: boolean; require_sso: boolean }>('PATCH', '/v1/security', { require_mfa }),
    onSuccess: (data) => qc.setQueryData(['security'], data),
  });
  return (
    <Stack>
      <Title order={2}>Security</Title>
      <Paper withBorder p="md" component="section" aria-labelledby="mfa-required-title">
        <Stack>
          <Title order={3} id="mfa-required-title">
            Two-factor sign-in
          </Title>
          {settings.isLoading ? (
            <ListSkeleton />
          ) : (
            <Switch
              label="Require two-factor sign-in of everyone"
              description="People without it must set it up before they can do anything else. API keys are not affected."
              checked={settings.data?.require_mfa ?? false}
              disabled={save.isPending}
              onChange={(e) => save.mutate(e.currentTarget.checked)}
            />
          )}
          {save.error && (
            <Alert color="red" role="alert">
              {problemText(save.error)}
            </Alert>
          )}
          <Text size="sm" c="dimmed">
            Turning this on or off is recorded in the account log.
          </Text>
        </Stack>
      </Paper>
      {account.entitlements.sso ? (
        <SsoSection />
      ) : (
        <Text size="sm" c="dimmed">
          Single sign-on (OpenID Connect or SAML) comes with {account.plans.find((p) => p.entitlements.sso)?.name ?? 'Enterprise'}.
        </Text>
      )}
      {account.entitlements.scim ? (
        <ScimSection />
      ) : (
        <Text size="sm" c="dimmed">
          SCIM provisioning from your identity provider comes with {account.plans.find((p) => p.entitlements.scim)?.name ?? 'Enterprise'}.
        </Text>
      )}
    </Stack>
  );
}
