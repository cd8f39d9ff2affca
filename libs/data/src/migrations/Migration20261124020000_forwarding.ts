import { Migration } from '@mikro-orm/migrations';

/**
 * Forwarding: destinations (secrets encrypted), their delivery ledger and
 * replays (generated from the entities), plus, by hand:
 *
 * - `audit_events.txid`: the id of the transaction that stored the event. A
 *   destination's cursor walks (txid, id) and only reads events whose
 *   transaction is older than every transaction still running
 *   (pg_snapshot_xmin), so an event that commits late can never land behind
 *   a cursor that has already passed: ordered, and nothing skipped.
 * - tenant isolation on the new tables, and the one cross-tenant look-up the
 *   worker's tick needs (which destinations are due).
 */
export class Migration20261124020000_forwarding extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "destinations" ("id" uuid not null, "account_id" uuid not null, "type" text not null, "name" text not null, "url" text not null, "format" text not null, "scope" text not null, "workspace_id" uuid null, "filter" jsonb not null, "enabled" boolean not null default true, "secret_enc" text null, "previous_secret_enc" text null, "previous_secret_until" timestamptz null, "cursor_txid" bigint null, "cursor_id" uuid null, "failing_since" timestamptz null, "failures" int not null default 0, "next_attempt_at" timestamptz null, "last_delivered_at" timestamptz null, "last_error" text null, "disabled_reason" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "destinations_pkey" primary key ("id"));`);
    this.addSql(`create index "destinations_account_id_created_at_index" on "destinations" ("account_id", "created_at");`);
    this.addSql(`create table "destination_deliveries" ("id" uuid not null, "account_id" uuid not null, "destination_id" uuid not null, "attempted_at" timestamptz not null default now(), "first_event_id" uuid null, "last_event_id" uuid null, "event_count" int not null, "status_code" int null, "latency_ms" int not null, "error" text null, "replay_id" uuid null, "test" boolean not null default false, constraint "destination_deliveries_pkey" primary key ("id"));`);
    this.addSql(`create index "destination_deliveries_destination_id_attempted_at_index" on "destination_deliveries" ("destination_id", "attempted_at");`);
    this.addSql(`create table "destination_replays" ("id" uuid not null, "account_id" uuid not null, "destination_id" uuid not null, "range_from" timestamptz not null, "range_to" timestamptz not null, "cursor_occurred_at" timestamptz null, "cursor_id" uuid null, "status" text not null default 'queued', "delivered" int not null default 0, "error" text null, "created_at" timestamptz not null default now(), "completed_at" timestamptz null, constraint "destination_replays_pkey" primary key ("id"));`);
    this.addSql(`alter table "destinations" add constraint "destinations_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "destination_deliveries" add constraint "destination_deliveries_destination_id_foreign" foreign key ("destination_id") references "destinations" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "destination_replays" add constraint "destination_replays_destination_id_foreign" foreign key ("destination_id") references "destinations" ("id") on update cascade on delete cascade;`);

    // Reviewed additions.
    this.addSql(`ALTER TABLE audit_events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();`);
    // The forwarder's read: one log of one account, in transaction order.
    this.addSql(`CREATE INDEX audit_events_txid_idx ON audit_events (account_id, workspace_id, txid, id);`);
    for (const table of ['destinations', 'destination_deliveries', 'destination_replays']) {
      this.addSql(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;`);
      this.addSql(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;`);
      this.addSql(`CREATE POLICY tenant_isolation ON ${table} USING (account_id = app_current_account()) WITH CHECK (account_id = app_current_account());`);
    }
    this.addSql(`GRANT SELECT, INSERT, UPDATE ON destinations, destination_replays TO audit_app;`);
    this.addSql(`GRANT SELECT, INSERT ON destination_deliveries TO audit_app;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_forwarding_due(p_now timestamptz)
RETURNS TABLE (destination_id uuid, account_id uuid, replay_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog SET row_security = off AS $$
  SELECT d.id, d.account_id, NULL::uuid FROM destinations d
  WHERE d.enabled AND d.deleted_at IS NULL AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= p_now)
  UNION ALL
  SELECT r.destination_id, r.account_id, r.id FROM destination_replays r JOIN destinations d ON d.id = r.destination_id
  WHERE r.status IN ('queued', 'running') AND d.enabled AND d.deleted_at IS NULL AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= p_now)
$$;`);
    this.addSql(`REVOKE ALL ON FUNCTION app_forwarding_due(timestamptz) FROM PUBLIC;`);
    this.addSql(`GRANT EXECUTE ON FUNCTION app_forwarding_due(timestamptz) TO audit_app;`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION IF EXISTS app_forwarding_due(timestamptz);`);
    this.addSql(`DROP INDEX IF EXISTS audit_events_txid_idx;`);
    this.addSql(`ALTER TABLE audit_events DROP COLUMN IF EXISTS txid;`);
    this.addSql(`drop table if exists "destination_replays" cascade;`);
    this.addSql(`drop table if exists "destination_deliveries" cascade;`);
    this.addSql(`drop table if exists "destinations" cascade;`);
  }
}
