import { ownerClient } from './harness';

// The plan past one primary (docs/scaling.md) shards tenants on Citus with
// account_id as the distribution column. Citus requires every primary key and
// unique index of a distributed table to include that column. This test
// reads the migrated schema and holds the line: every table is either a
// tenant table (it has account_id, its keys carry it, and its primary key
// leads with it) or a named reference/global table. The unique keys that
// still lack it are a list that may only shrink.

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
 * Unique keys of tenant tables that do not carry account_id yet: lookups
 * across tenants (a credential's hash, a verified SSO domain) that move to
 * reference tables before those tables are distributed (docs/scaling.md,
 * "Keys to change"). Remove an entry when its migration lands; add none.
 */
const NOT_YET_TENANT_KEYED = new Set([
  'api_keys.api_keys_key_hash_unique',
  'invitations.invitations_token_hash_unique',
  'scim_tokens.scim_tokens_token_hash_key',
  'sessions.sessions_token_hash_unique',
  'sso_domains.sso_domains_verified_idx',
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
    expect(keys.filter((k) => k.has_account).map((k) => k.key)).toEqual(expect.arrayContaining(['audit_events.audit_events_pkey', 'event_idempotency.event_idempotency_pkey', 'tenant_actions.tenant_actions_pkey', 'sso_connections.sso_connections_pkey', 'integrity_leaves.integrity_leaves_pkey', 'destinations.destinations_pkey']));
    // Every tenant primary key now leads with account_id: the column a shard is chosen by, and the one RLS compares.
    const leading = (
      await db.query<{ key: string }>(
        `SELECT t.relname || '.' || i.relname AS key
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
         WHERE n.nspname = 'public' AND x.indisprimary AND t.relkind IN ('r', 'p') AND NOT t.relispartition AND a.attname <> 'account_id'
           AND EXISTS (SELECT 1 FROM pg_attribute b WHERE b.attrelid = t.oid AND b.attname = 'account_id' AND NOT b.attisdropped)`,
      )
    ).rows.map((r) => r.key);
    expect(leading.filter((k) => !(k.split('.')[0] in GLOBAL_TABLES))).toEqual([]);
  } finally {
    await db.end();
  }
});
