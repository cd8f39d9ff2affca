import { ownerClient } from './harness';

// The plan past one primary (docs/scaling.md) shards tenants on Citus with
// account_id as the distribution column. Citus requires every primary key and
// unique index of a distributed table to include that column. This test
// reads the migrated schema and holds the line: every table is either a
// tenant table (it has account_id, and its keys carry it) or a named
// reference/global table, and the tables still keyed by id alone are a list
// that may only shrink.

/** Tables that are not distributed, and why: reference tables (copied to every node) and bookkeeping. */
const GLOBAL_TABLES: Record<string, string> = {
  // Distributing it by id would need every unique key to hold id, and stripe_customer_id's does not; one row per tenant is a small table.
  accounts: 'the tenants themselves, one row each: a reference table the tenant tables point at',
  // Deduplicates Stripe's deliveries by Stripe's event id, including events that match no account (account_id is null).
  stripe_events: "Stripe's webhook ledger, written once per delivery: a reference table",
  users: 'people span accounts: a reference table',
  recovery_codes: "a person's codes (by user): a reference table",
  password_resets: 'by person, before any account is known: a reference table',
  integrity_keys: 'public signing keys: a reference table',
  mikro_orm_migrations: 'bookkeeping',
};

/**
 * Keys of tenant tables that do not carry account_id yet: each must become
 * (account_id, …) before those tables are distributed (docs/scaling.md,
 * "Keys to change"). Remove an entry when its migration lands; add none.
 */
const NOT_YET_TENANT_KEYED = new Set([
  'api_keys.api_keys_pkey',
  'api_keys.api_keys_key_hash_unique',
  'destination_deliveries.destination_deliveries_pkey',
  'destination_replays.destination_replays_pkey',
  'destinations.destinations_pkey',
  'exports.exports_pkey',
  'integrity_anomalies.integrity_anomalies_pkey',
  'integrity_checkpoints.integrity_checkpoints_pkey',
  'integrity_leaves.integrity_leaves_pkey',
  'integrity_logs.integrity_logs_pkey',
  'invitations.invitations_pkey',
  'invitations.invitations_token_hash_unique',
  'legal_holds.legal_holds_pkey',
  'memberships.memberships_pkey',
  'scim_groups.scim_groups_pkey',
  'scim_tokens.scim_tokens_pkey',
  'scim_tokens.scim_tokens_token_hash_key',
  'sessions.sessions_pkey',
  'sessions.sessions_token_hash_unique',
  'sso_domains.sso_domains_pkey',
  'sso_domains.sso_domains_verified_idx',
  'workspaces.workspaces_pkey',
]);

it('keeps every tenant key shardable on account_id (Citus), with no new exceptions', async () => {
  const db = await ownerClient();
  try {
    const tables = (
      await db.query<{ name: string; tenant: boolean }>(
        `SELECT c.relname AS name,
                EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'account_id' AND NOT a.attisdropped) AS tenant
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
      )
    ).rows;
    // Every table is a tenant table or a named global one.
    const unplaced = tables.filter((t) => !t.tenant && !(t.name in GLOBAL_TABLES)).map((t) => t.name);
    expect(unplaced).toEqual([]);
    // Every named global table still exists (a stale name would hide nothing, but would mislead).
    expect(Object.keys(GLOBAL_TABLES).filter((name) => !tables.some((t) => t.name === name))).toEqual([]);

    // Every unique index (primary keys included) of a tenant table, and whether account_id is among its columns.
    const keys = (
      await db.query<{ key: string; has_account: boolean }>(
        `SELECT t.relname || '.' || i.relname AS key,
                EXISTS (SELECT 1 FROM unnest(x.indkey) k JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k WHERE a.attname = 'account_id') AS has_account
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = 'public' AND x.indisunique AND t.relkind IN ('r', 'p') AND NOT t.relispartition
           AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'account_id' AND NOT a.attisdropped)`,
      )
    ).rows;
    const violations = keys.filter((k) => !k.has_account && !(k.key.split('.')[0] in GLOBAL_TABLES)).map((k) => k.key);
    expect(violations.filter((v) => !NOT_YET_TENANT_KEYED.has(v))).toEqual([]);
    // The list only shrinks: an entry whose key was fixed (or dropped) must go.
    expect([...NOT_YET_TENANT_KEYED].filter((k) => !violations.includes(k))).toEqual([]);
    // The ones that already follow the rule stay that way.
    expect(keys.filter((k) => k.has_account).map((k) => k.key)).toEqual(expect.arrayContaining(['audit_events.audit_events_pkey', 'event_idempotency.event_idempotency_pkey', 'tenant_actions.tenant_actions_pkey', 'sso_connections.sso_connections_pkey']));
  } finally {
    await db.end();
  }
});
