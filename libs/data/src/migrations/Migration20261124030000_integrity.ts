import { Migration } from '@mikro-orm/migrations';

/**
 * Integrity (hand-written; the sealer and the API use SQL, not the ORM).
 *
 * - integrity_logs: per log (the account log has log_id = account id, a
 *   workspace log log_id = workspace id) the Merkle frontier, size and the
 *   sealer's cursor over (txid, id);
 * - integrity_leaves: position → event and leaf hash, insert-only; kept after
 *   a purge so the tree and its proofs stay whole (ids and hashes only);
 * - integrity_checkpoints: signed tree heads, each naming its predecessor's hash;
 * - integrity_anomalies: rows the sealer refused (claiming a receipt time
 *   before the previous sealing round, i.e. written into the past);
 * - integrity_keys: the platform's Ed25519 public keys with their validity.
 */
export class Migration20261124030000_integrity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
CREATE TABLE integrity_logs (
  log_id        uuid PRIMARY KEY,
  account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  workspace_id  uuid,
  tree_size     bigint NOT NULL DEFAULT 0,
  frontier      text[] NOT NULL DEFAULT '{}',
  cursor_txid   xid8,
  cursor_id     uuid,
  last_round_at timestamptz,
  last_checkpoint_at   timestamptz,
  last_checkpoint_size bigint,
  last_checkpoint_hash text
);`);
    this.addSql(`
CREATE TABLE integrity_leaves (
  log_id      uuid NOT NULL,
  seq         bigint NOT NULL,
  account_id  uuid NOT NULL,
  event_id    uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  leaf_hash   bytea NOT NULL,
  sealed_at   timestamptz NOT NULL,
  PRIMARY KEY (log_id, seq)
);`);
    this.addSql(`CREATE INDEX integrity_leaves_event_idx ON integrity_leaves (account_id, event_id);`);
    this.addSql(`
CREATE TABLE integrity_checkpoints (
  id            uuid PRIMARY KEY,
  log_id        uuid NOT NULL,
  account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  workspace_id  uuid,
  tree_size     bigint NOT NULL,
  root_hash     text NOT NULL,
  created_at    timestamptz NOT NULL,
  previous_hash text,
  hash          text NOT NULL,
  key_id        text NOT NULL,
  signature     text NOT NULL,
  purge_before  timestamptz
);`);
    this.addSql(`CREATE INDEX integrity_checkpoints_log_idx ON integrity_checkpoints (log_id, created_at);`);
    this.addSql(`CREATE INDEX integrity_checkpoints_account_idx ON integrity_checkpoints (account_id, created_at);`);
    this.addSql(`
CREATE TABLE integrity_anomalies (
  id          uuid PRIMARY KEY,
  log_id      uuid NOT NULL,
  account_id  uuid NOT NULL,
  event_id    uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  found_at    timestamptz NOT NULL DEFAULT now(),
  reason      text NOT NULL
);`);
    this.addSql(`CREATE INDEX integrity_anomalies_log_idx ON integrity_anomalies (log_id, occurred_at);`);
    this.addSql(`
CREATE TABLE integrity_keys (
  key_id     text PRIMARY KEY,
  algorithm  text NOT NULL DEFAULT 'Ed25519',
  public_key text NOT NULL,
  valid_from timestamptz NOT NULL DEFAULT now(),
  valid_to   timestamptz
);`);
    for (const table of ['integrity_logs', 'integrity_leaves', 'integrity_checkpoints', 'integrity_anomalies']) {
      this.addSql(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;`);
      this.addSql(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;`);
      this.addSql(`CREATE POLICY tenant_isolation ON ${table} USING (account_id = app_current_account()) WITH CHECK (account_id = app_current_account());`);
    }
    this.addSql(`GRANT SELECT, INSERT, UPDATE ON integrity_logs, integrity_keys TO audit_app;`);
    this.addSql(`GRANT SELECT, INSERT ON integrity_leaves, integrity_checkpoints, integrity_anomalies TO audit_app;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_integrity_accounts()
RETURNS TABLE (account_id uuid, plan text, workspace_ids uuid[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog SET row_security = off AS $$
  SELECT a.id, a.plan, coalesce((SELECT array_agg(w.id) FROM workspaces w WHERE w.account_id = a.id), '{}') FROM accounts a
$$;`);
    this.addSql(`REVOKE ALL ON FUNCTION app_integrity_accounts() FROM PUBLIC;`);
    // Exports get a signed manifest beside the file.
    this.addSql(`alter table "exports" add column "manifest_key" text null;`);
    this.addSql(`GRANT EXECUTE ON FUNCTION app_integrity_accounts() TO audit_app;`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION IF EXISTS app_integrity_accounts();`);
    this.addSql(`DROP TABLE IF EXISTS integrity_keys, integrity_anomalies, integrity_checkpoints, integrity_leaves, integrity_logs;`);
  }
}
