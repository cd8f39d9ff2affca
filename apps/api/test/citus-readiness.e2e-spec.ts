import { ownerClient } from './harness';

// The plan past one primary (docs/scaling.md) shards tenants on Citus with
// account_id as the distribution column. Citus requires every primary key and
// unique index of a distributed table to include that column. This test
// reads the migrated schema and holds the line: every table is either a
// tenant table (it has account_id, its keys carry it, and its primary key
// leads with it) or a named reference/global table.

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
  // Read before the tenant is known; its primary key is what keeps a secret's hash unique across tenants.
  credential_index: "a credential's hash → its account, for sign-in look-ups: a reference table",
  sso_domain_routes: 'a verified email domain → its account, one account per domain: a reference table',
  mikro_orm_migrations: 'bookkeeping',
};


type Db = Awaited<ReturnType<typeof ownerClient>>;

/** What the catalog says against the rule: unplaced tables, tenant keys without account_id, tenant primary keys not led by it; and every tenant key. */
async function readSchema(db: Db) {
  const tables = (
    await db.query<{ name: string; tenant: boolean }>(
      `SELECT c.relname AS name,
              EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'account_id' AND NOT a.attisdropped) AS tenant
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
    )
  ).rows;
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
  // Tenant primary keys whose first column is not account_id: the column a shard is chosen by, and the one RLS compares.
  const leading = (
    await db.query<{ key: string }>(
      `SELECT t.relname || '.' || i.relname AS key
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
       WHERE n.nspname = 'public' AND x.indisprimary AND t.relkind IN ('r', 'p') AND NOT t.relispartition AND a.attname <> 'account_id'
         AND EXISTS (SELECT 1 FROM pg_attribute b WHERE b.attrelid = t.oid AND b.attname = 'account_id' AND NOT b.attisdropped)`,
    )
  ).rows.map((r) => r.key);
  const tenantTable = (key: string) => !(key.split('.')[0] in GLOBAL_TABLES);
  return {
    tables: tables.map((t) => t.name),
    unplaced: tables.filter((t) => !t.tenant && !(t.name in GLOBAL_TABLES)).map((t) => t.name),
    keysWithoutAccount: keys.filter((k) => !k.has_account && tenantTable(k.key)).map((k) => k.key),
    notLeading: leading.filter(tenantTable),
    tenantKeys: keys.filter((k) => k.has_account).map((k) => k.key),
  };
}

it('keeps every tenant key shardable on account_id (Citus), with no exceptions', async () => {
  const db = await ownerClient();
  try {
    const schema = await readSchema(db);
    // Every table is a tenant table or a named global one, and every named global table still exists.
    expect(schema.unplaced).toEqual([]);
    expect(Object.keys(GLOBAL_TABLES).filter((name) => !schema.tables.includes(name))).toEqual([]);
    expect(schema.keysWithoutAccount).toEqual([]);
    expect(schema.notLeading).toEqual([]);
    // The keys it reads are the real ones, including the credential hashes now keyed per tenant.
    expect(schema.tenantKeys).toEqual(
      expect.arrayContaining([
        'audit_events.audit_events_pkey',
        'event_idempotency.event_idempotency_pkey',
        'tenant_actions.tenant_actions_pkey',
        'sso_connections.sso_connections_pkey',
        'integrity_leaves.integrity_leaves_pkey',
        'destinations.destinations_pkey',
        'api_keys.api_keys_account_id_key_hash_unique',
        'sessions.sessions_account_id_token_hash_unique',
        'invitations.invitations_account_id_token_hash_unique',
        'scim_tokens.scim_tokens_account_id_token_hash_key',
      ]),
    );
  } finally {
    await db.end();
  }
});

it('catches each kind of break: an unplaced table, a key across tenants, a primary key led by another column', async () => {
  const db = await ownerClient();
  try {
    await db.query('BEGIN');
    await db.query('CREATE TABLE readiness_probe_global (id uuid PRIMARY KEY)');
    await db.query('CREATE TABLE readiness_probe_tenant (id uuid, account_id uuid NOT NULL, token bytea UNIQUE, PRIMARY KEY (id, account_id))');
    const schema = await readSchema(db);
    expect(schema.unplaced).toEqual(['readiness_probe_global']);
    expect(schema.keysWithoutAccount).toEqual(['readiness_probe_tenant.readiness_probe_tenant_token_key']);
    expect(schema.notLeading).toEqual(['readiness_probe_tenant.readiness_probe_tenant_pkey']);
  } finally {
    await db.query('ROLLBACK');
    await db.end();
  }
});
