import { Alert, Badge, Button, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { DEFAULT_PLAN, describeEntitlementValue, ENTITLEMENT_KEYS, ENTITLEMENT_LABELS } from '@audit-trail/plans';
import { useState } from 'react';
import { type Account, api, ApiError } from '../lib/api';

export function BillingPage({ account }: { account: Account }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const go = async (label: string, path: string, body?: unknown) => {
    setBusy(label);
    setError(null);
    try {
      const { url } = await api<{ url: string }>('POST', path, body);
      window.location.assign(url);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The server could not be reached.');
    } finally {
      setBusy(null);
    }
  };
  const isAdmin = account.me.role === 'owner' || account.me.role === 'admin';

  return (
    <Stack>
      <Title order={2}>Billing</Title>
      <Text>
        Current plan: <Badge size="lg">{account.plan_name}</Badge>
      </Text>
      {account.retention_grace_until && (
        <Alert color="blue" title="Downgrade grace period">
          Events are kept under your previous, longer retention until {new Date(account.retention_grace_until).toLocaleDateString()}, so a mistaken downgrade
          loses nothing.
        </Alert>
      )}
      {error && (
        <Alert color="red" role="alert" title="Billing">
          {error}
        </Alert>
      )}
      <Table withTableBorder aria-label="Plans and what they include">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Entitlement</Table.Th>
            {account.plans.map((p) => (
              <Table.Th key={p.id} aria-current={p.id === account.plan ? 'true' : undefined}>
                {p.name}
                {p.id === account.plan ? ' (current)' : ''}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {ENTITLEMENT_KEYS.map((key) => (
            <Table.Tr key={key}>
              <Table.Td>{ENTITLEMENT_LABELS[key]}</Table.Td>
              {account.plans.map((p) => (
                <Table.Td key={p.id}>{describeEntitlementValue(key, p)}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {account.billing_mode === 'stripe' ? (
        isAdmin && (
          <Group>
            {account.plans
              .filter((p) => p.id !== DEFAULT_PLAN && p.id !== account.plan)
              .map((p) => (
                <Button key={p.id} loading={busy === p.id} onClick={() => void go(p.id, '/v1/billing/checkout', { plan: p.id })}>
                  Switch to {p.name}
                </Button>
              ))}
            <Button variant="light" loading={busy === 'portal'} onClick={() => void go('portal', '/v1/billing/portal')}>
              Manage subscription
            </Button>
          </Group>
        )
      ) : (
        <Stack gap="xs">
          <Text>This installation sets plans without Stripe. An operator changes this account&apos;s plan with:</Text>
          <Code block>{`npm run plan -- ${account.id} premium`}</Code>
          <Text size="sm" c="dimmed">
            or PUT /v1/operator/accounts/{account.id}/plan with the operator token.
          </Text>
        </Stack>
      )}
    </Stack>
  );
}
