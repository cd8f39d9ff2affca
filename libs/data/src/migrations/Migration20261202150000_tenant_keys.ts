import { Migration } from '@mikro-orm/migrations';

/** Tenant tables whose primary key was the row id (or, for the leaves, the log position) alone, with the key they had. */
const KEYS: [table: string, columns: string][] = [
  ['workspaces', 'id'],
  ['memberships', 'id'],
  ['api_keys', 'id'],
  ['sessions', 'id'],
  ['invitations', 'id'],
  ['exports', 'id'],
  ['legal_holds', 'id'],
  ['destinations', 'id'],
  ['destination_deliveries', 'id'],
  ['destination_replays', 'id'],
  ['integrity_logs', 'log_id'],
  ['integrity_leaves', 'log_id, seq'],
  ['integrity_checkpoints', 'id'],
  ['integrity_anomalies', 'id'],
  ['scim_tokens', 'id'],
  ['scim_groups', 'id'],
  ['sso_domains', 'id'],
];

/**
 * Every tenant table's primary key starts with account_id, the column the
 * tenants would be sharded on (docs/scaling.md, "Tenant sharding on Citus"):
 * Citus requires it of every key of a distributed table. Under row-level
 * security every tenant statement also compares account_id, so the new keys
 * serve the same lookups. A delivery's and a replay's destination is now
 * referenced by (account_id, destination_id).
 *
 * Rebuilding a key takes a lock on its table for the time of an index build:
 * integrity_leaves has one row per sealed event, so on a large installation
 * run this migration in a quiet hour.
 */
export class Migration20261202150000_tenant_keys extends Migration {
  override async up(): Promise<void> {
    for (const t of ['destination_deliveries', 'destination_replays']) this.addSql(`ALTER TABLE ${t} DROP CONSTRAINT ${t}_destination_id_foreign;`);
    for (const [table, columns] of KEYS) this.addSql(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (account_id, ${columns});`);
    for (const t of ['destination_deliveries', 'destination_replays']) {
      this.addSql(`ALTER TABLE ${t} ADD CONSTRAINT ${t}_account_id_destination_id_foreign FOREIGN KEY (account_id, destination_id) REFERENCES destinations (account_id, id) ON UPDATE CASCADE ON DELETE CASCADE;`);
    }
  }

  override async down(): Promise<void> {
    for (const t of ['destination_deliveries', 'destination_replays']) this.addSql(`ALTER TABLE ${t} DROP CONSTRAINT ${t}_account_id_destination_id_foreign;`);
    for (const [table, columns] of KEYS) this.addSql(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (${columns});`);
    for (const t of ['destination_deliveries', 'destination_replays']) {
      this.addSql(`ALTER TABLE ${t} ADD CONSTRAINT ${t}_destination_id_foreign FOREIGN KEY (destination_id) REFERENCES destinations (id) ON UPDATE CASCADE ON DELETE CASCADE;`);
    }
  }
}
