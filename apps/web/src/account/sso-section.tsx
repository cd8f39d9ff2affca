import { Alert, Badge, Button, Code, CopyButton, Group, Paper, PasswordInput, SegmentedControl, Select, Stack, Switch, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, formText } from '../lib/api';
import { ListSkeleton } from '../lib/skeleton';
import { useAction } from '../lib/use-action';

interface SsoDomain {
  id: string;
  domain: string;
  verified: boolean;
  txt_name: string;
  txt_value: string;
}

interface SsoSettings {
  connection:
    | null
    | ({ protocol: 'oidc' | 'saml'; enabled: boolean; default_role: 'admin' | 'member'; updated_at: string } & {
        issuer?: string;
        client_id?: string;
        client_secret_set?: boolean;
        idp_entity_id?: string;
        idp_sso_url?: string;
        idp_certificate?: string;
        idp_certificate_expires_at?: string | null;
      });
  domains: SsoDomain[];
  require_sso: boolean;
  service_provider: { oidc_redirect_uri: string; saml_acs_url: string; saml_entity_id: string; saml_metadata_url: string };
}

const KEY = ['sso'];

function Copyable({ label, value }: { label: string; value: string }) {
  return (
    <Group gap="xs" wrap="nowrap">
      <Text size="sm" w={190} c="dimmed">
        {label}
      </Text>
      <Code style={{ overflowWrap: 'anywhere' }}>{value}</Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Button size="compact-xs" variant="subtle" onClick={copy} aria-label={`Copy ${label}`}>
            {copied ? 'Copied' : 'Copy'}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}

/** The identity-provider side of the connection: OIDC or SAML, default role, on/off. */
function ConnectionForm({ settings }: { settings: SsoSettings }) {
  const qc = useQueryClient();
  const conn = settings.connection;
  const [protocol, setProtocol] = useState<'oidc' | 'saml'>(conn?.protocol ?? 'oidc');
  const save = useAction();
  const [saved, setSaved] = useState(false);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const common = { protocol, default_role: formText(form, 'default_role') ?? 'member', enabled: form.get('enabled') === 'on' };
    const body =
      protocol === 'oidc'
        ? { ...common, issuer: formText(form, 'issuer'), client_id: formText(form, 'client_id'), ...(formText(form, 'client_secret') ? { client_secret: formText(form, 'client_secret') } : {}) }
        : { ...common, idp_entity_id: formText(form, 'idp_entity_id'), idp_sso_url: formText(form, 'idp_sso_url'), idp_certificate: formText(form, 'idp_certificate') };
    setSaved(false);
    void save.run(async () => {
      qc.setQueryData(KEY, await api<SsoSettings>('PUT', '/v1/sso/connection', body));
      setSaved(true);
    });
  };
  const sp = settings.service_provider;
  return (
    <form onSubmit={submit} aria-label="Single sign-on connection">
      <Stack>
        <SegmentedControl
          value={protocol}
          onChange={(v) => setProtocol(v)}
          data={[
            { value: 'oidc', label: 'OpenID Connect' },
            { value: 'saml', label: 'SAML 2.0' },
          ]}
          aria-label="Protocol"
        />
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            Give your identity provider
          </Text>
          {protocol === 'oidc' ? (
            <Copyable label="Sign-in redirect URI" value={sp.oidc_redirect_uri} />
          ) : (
            <>
              <Copyable label="ACS URL" value={sp.saml_acs_url} />
              <Copyable label="Audience / entity ID" value={sp.saml_entity_id} />
              <Copyable label="Metadata URL" value={sp.saml_metadata_url} />
              <Text size="xs" c="dimmed">
                Name ID format: email address. The metadata URL works once the SAML connection is saved.
              </Text>
            </>
          )}
        </Stack>
        {protocol === 'oidc' ? (
          <>
            <TextInput name="issuer" label="Issuer URL" required defaultValue={conn?.issuer ?? ''} placeholder="https://example.okta.com" />
            <TextInput name="client_id" label="Client ID" required defaultValue={conn?.client_id ?? ''} />
            <PasswordInput
              name="client_secret"
              label="Client secret"
              required={!conn?.client_secret_set}
              description={conn?.client_secret_set ? 'Stored encrypted. Leave empty to keep it.' : 'Stored encrypted; never shown again.'}
            />
          </>
        ) : (
          <>
            <TextInput name="idp_entity_id" label="Identity provider issuer (entity ID)" required defaultValue={conn?.idp_entity_id ?? ''} />
            <TextInput name="idp_sso_url" label="Identity provider sign-in URL" required defaultValue={conn?.idp_sso_url ?? ''} />
            <Textarea
              name="idp_certificate"
              label="Signing certificate"
              required
              autosize
              minRows={3}
              maxRows={8}
              defaultValue={conn?.idp_certificate ?? ''}
              description={conn?.idp_certificate_expires_at ? `Expires ${new Date(conn.idp_certificate_expires_at).toLocaleDateString()}` : 'PEM, as your identity provider shows it'}
              styles={{ input: { fontFamily: 'monospace', fontSize: 12 } }}
            />
          </>
        )}
        <Group grow align="flex-end">
          <Select
            name="default_role"
            label="Role for people who sign in for the first time"
            defaultValue={conn?.default_role ?? 'member'}
            allowDeselect={false}
            data={[
              { value: 'member', label: 'Member' },
              { value: 'admin', label: 'Admin' },
            ]}
          />
          <Switch name="enabled" label="Enabled" defaultChecked={conn?.enabled ?? true} />
        </Group>
        {save.error && (
          <Alert color="red" role="alert">
            {save.error}
          </Alert>
        )}
        {saved && !save.error && (
          <Alert color="green" role="status">
            Saved.
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={save.busy}>
            Save connection
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function DomainRow({ d }: { d: SsoDomain }) {
  const qc = useQueryClient();
  const act = useAction();
  const refresh = () => qc.invalidateQueries({ queryKey: KEY });
  return (
    <Table.Tr data-testid="sso-domain-row">
      <Table.Td>
        <Stack gap={4}>
          <Group gap="xs">
            <Text fw={500}>{d.domain}</Text>
            <Badge color={d.verified ? 'green' : 'yellow'} variant="light">
              {d.verified ? 'Verified' : 'Waiting for DNS'}
            </Badge>
          </Group>
          {!d.verified && (
            <>
              <Copyable label="TXT record name" value={d.txt_name} />
              <Copyable label="TXT record value" value={d.txt_value} />
            </>
          )}
          {act.error && (
            <Text size="sm" c="red" role="alert">
              {act.error}
            </Text>
          )}
        </Stack>
      </Table.Td>
      <Table.Td style={{ verticalAlign: 'top' }}>
        <Group gap="xs" justify="flex-end" wrap="nowrap">
          {!d.verified && (
            <Button size="xs" loading={act.busy} onClick={() =>
                void act.run(async () => {
                  await api('POST', `/v1/sso/domains/${d.id}/verify`);
                  await refresh();
                })
              }>
              Verify
            </Button>
          )}
          <Button size="xs" variant="subtle" color="red" disabled={act.busy} onClick={() =>
              void act.run(async () => {
                await api('DELETE', `/v1/sso/domains/${d.id}`);
                await refresh();
              })
            }>
            Remove
          </Button>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

/** Single sign-on: the connection, verified email domains, and "SSO required". */
export function SsoSection() {
  const qc = useQueryClient();
  const settings = useQuery({ queryKey: KEY, queryFn: () => api<SsoSettings>('GET', '/v1/sso') });
  const add = useAction();
  const required = useAction();
  const addDomain = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const domain = formText(new FormData(formEl), 'domain');
    void add.run(async () => {
      await api('POST', '/v1/sso/domains', { domain });
      formEl.reset();
      await qc.invalidateQueries({ queryKey: KEY });
    });
  };
  const s = settings.data;
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="sso-title">
      <Stack>
        <Title order={3} id="sso-title">
          Single sign-on
        </Title>
        {!s ? (
          <ListSkeleton />
        ) : (
          <>
            <ConnectionForm settings={s} />
            <Title order={4}>Email domains</Title>
            <Text size="sm" c="dimmed">
              People whose email is in a verified domain see &quot;Continue with SSO&quot; at sign-in and join as the role above on their first sign-in. Prove each domain with a DNS TXT record.
            </Text>
            {s.domains.length > 0 && (
              <Table>
                <Table.Tbody>
                  {s.domains.map((d) => (
                    <DomainRow key={d.id} d={d} />
                  ))}
                </Table.Tbody>
              </Table>
            )}
            <form onSubmit={addDomain} aria-label="Add a domain">
              <Group align="flex-end">
                <TextInput name="domain" label="Domain" placeholder="example.com" required />
                <Button type="submit" variant="light" loading={add.busy}>
                  Add domain
                </Button>
              </Group>
            </form>
            {add.error && (
              <Alert color="red" role="alert">
                {add.error}
              </Alert>
            )}
            <Switch
              label="Require single sign-on"
              description="Members must sign in with SSO and their password sessions end. Owners keep password with two-factor as the way back in."
              checked={s.require_sso}
              disabled={required.busy}
              onChange={(e) => {
                const value = e.currentTarget.checked;
                void required.run(async () => {
                  await api('PATCH', '/v1/security', { require_sso: value });
                  await Promise.all([qc.invalidateQueries({ queryKey: KEY }), qc.invalidateQueries({ queryKey: ['security'] })]);
                });
              }}
            />
            {required.error && (
              <Alert color="red" role="alert">
                {required.error}
              </Alert>
            )}
          </>
        )}
      </Stack>
    </Paper>
  );
}
