import { Button, Code, CopyButton, Group, Stack, Text, Title } from '@mantine/core';

function Snippet({ label, code, testId }: { label: string; code: string; testId: string }) {
  return (
    <Stack gap={4}>
      <Group justify="space-between">
        <Text size="sm" fw={500}>
          {label}
        </Text>
        <CopyButton value={code}>
          {({ copied, copy }) => (
            <Button size="xs" variant="default" onClick={copy} aria-label={`Copy: ${label}`}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
      <Code block data-testid={testId}>
        {code}
      </Code>
    </Stack>
  );
}

/**
 * How a tenant shows its own customers their slice of the log: mint a
 * short-lived viewer token on its server, embed the viewer with it.
 */
export function ViewerTokensExplainer() {
  const origin = window.location.origin;
  const mint = `curl -X POST ${origin}/v1/viewer-tokens \\
  -H "Authorization: Bearer $AUDIT_TRAIL_KEY" -H "Content-Type: application/json" \\
  -d '{"viewer": {"id": "customer_42", "email": "carol@customer.example"},
       "filter": {"target_type": "project", "target_id": "p_7"},
       "origins": ["https://app.example.com"], "ttl_seconds": 900}'`;
  const embed = `<script type="module" src="${origin}/viewer.js"></script>
<audit-trail-viewer token="atv_…" base-url="${origin}"></audit-trail-viewer>`;
  return (
    <Stack gap="sm" component="section" aria-labelledby="viewer-tokens-title">
      <Title order={3} id="viewer-tokens-title">
        Viewer tokens
      </Title>
      <Text size="sm">
        Let your own customers read their part of this log inside your product. Your server mints a viewer token with an admin API key. The token is bound
        to one log and one slice of it (a target, an actor, or some actions), to the customer it names, and to the origins of your pages, for at most an
        hour. Your page passes it to the viewer. The token reads that slice and nothing else, and every read is recorded here with actor type{' '}
        <Code>viewer</Code> and the customer's id.
      </Text>
      <Snippet label="1. On your server: mint a token for one customer" code={mint} testId="viewer-mint-snippet" />
      <Snippet label="2. In your page: show the viewer" code={embed} testId="viewer-embed-snippet" />
      <Text size="sm" c="dimmed">
        React apps can use <Code>{'<AuditTrailViewer token={token} baseUrl="…" />'}</Code> from <Code>@audit-trail/viewer</Code>. The SDK mints tokens with{' '}
        <Code>at.viewerTokens.create(…)</Code>. To match your product, set <Code>--atv-color-accent</Code>, <Code>--atv-font-family</Code> and the other{' '}
        <Code>--atv-*</Code> variables on the element.
      </Text>
    </Stack>
  );
}
