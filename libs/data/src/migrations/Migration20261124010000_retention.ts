import { Migration } from '@mikro-orm/migrations';

/**
 * Retention and legal holds.
 *
 * - `legal_holds` (generated from the entity) with tenant isolation;
 * - `audit_retention` may log in: the worker's retention job connects as it,
 *   the only role the append-only guard lets delete events (its password is
 *   set on every migration run, like audit_app's);
 * - cross-tenant functions for the retention job only: the accounts with
 *   their plan state and holds, the accounts present in a partition, and the
 *   O(1) drop of a partition that has wholly expired. They run with
 *   `row_security = off`, so an owner that is subject to row-level security
 *   gets an error rather than a silently empty answer.
 */
export class Migration20261124010000_retention extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "legal_holds" ("id" uuid not null, "account_id" uuid not null, "scope" text not null, "workspace_id" uuid null, "reason" text not null, "created_by" uuid not null, "created_at" timestamptz not null default now(), "released_at" timestamptz null, "released_by" uuid null, constraint "legal_holds_pkey" primary key ("id"));`);
    this.addSql(`create index "legal_holds_account_id_released_at_index" on "legal_holds" ("account_id", "released_at");`);
    this.addSql(`alter table "legal_holds" add constraint "legal_holds_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete cascade;`);

    // Reviewed additions.
    this.addSql(`ALTER TABLE legal_holds ADD CONSTRAINT legal_holds_scope_check CHECK ((scope = 'account' AND workspace_id IS NULL) OR (scope = 'workspace' AND workspace_id IS NOT NULL));`);
    this.addSql(`ALTER TABLE legal_holds ENABLE ROW LEVEL SECURITY;`);
    this.addSql(`ALTER TABLE legal_holds FORCE ROW LEVEL SECURITY;`);
    this.addSql(`CREATE POLICY tenant_isolation ON legal_holds USING (account_id = app_current_account()) WITH CHECK (account_id = app_current_account());`);
    // Holds are released, never deleted: they are part of the record.
    this.addSql(`GRANT SELECT, INSERT, UPDATE ON legal_holds TO audit_app;`);

    this.addSql(`ALTER ROLE audit_retention LOGIN;`);
    // Idempotency keys are purged with their events.
    this.addSql(`CREATE INDEX event_idempotency_occurred_idx ON event_idempotency (account_id, occurred_at);`);

    this.addSql(`
CREATE OR REPLACE FUNCTION app_retention_accounts()
RETURNS TABLE (id uuid, name text, plan text, previous_retention_days int, retention_grace_until timestamptz,
               ever_licensed boolean, account_held boolean, held_workspaces uuid[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog SET row_security = off AS $$
  SELECT a.id, a.name, a.plan, a.previous_retention_days, a.retention_grace_until, a.ever_licensed,
         EXISTS (SELECT 1 FROM legal_holds h WHERE h.account_id = a.id AND h.released_at IS NULL AND h.scope = 'account'),
         coalesce((SELECT array_agg(DISTINCT h.workspace_id) FROM legal_holds h
                   WHERE h.account_id = a.id AND h.released_at IS NULL AND h.scope = 'workspace'), '{}')
  FROM accounts a ORDER BY a.id
$$;`);

    // The accounts that have rows in one partition: a loose index scan over
    // the primary key (one probe per account), not a scan of the rows.
    this.addSql(`
CREATE OR REPLACE FUNCTION audit_partition_accounts(p_name text)
RETURNS TABLE (account_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog SET row_security = off AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM audit_partitions() p WHERE p.name = p_name) THEN
    RAISE EXCEPTION '% is not a partition of audit_events', p_name USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN QUERY EXECUTE format(
    'WITH RECURSIVE t(a) AS (
       (SELECT account_id FROM %1$I ORDER BY account_id LIMIT 1)
       UNION ALL
       SELECT (SELECT account_id FROM %1$I WHERE account_id > t.a ORDER BY account_id LIMIT 1) FROM t WHERE t.a IS NOT NULL)
     SELECT a FROM t WHERE a IS NOT NULL', p_name);
END $$;`);

    // Drops a wholly expired partition in O(1) and answers how many rows of
    // each account went with it. It refuses (answers nothing) when the
    // partition now holds an account the caller did not clear (a backfill
    // since the caller looked), and never touches the current month. Lock
    // waits are short: a drop that would queue ingestion behind a long reader
    // gives up, and the row deletes of the same run cover the partition.
    this.addSql(`
CREATE OR REPLACE FUNCTION audit_drop_partition(p_name text, p_accounts uuid[])
RETURNS TABLE (account_id uuid, n bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog SET row_security = off SET lock_timeout = '500ms' AS $$
DECLARE
  v_end timestamptz;
  v_ids uuid[];
  v_ns bigint[];
BEGIN
  SELECT p.range_end INTO v_end FROM audit_partitions() p WHERE p.name = p_name;
  IF v_end IS NULL THEN
    RETURN;
  END IF;
  IF v_end > date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' THEN
    RAISE EXCEPTION 'refusing to drop % (the current month or later)', p_name USING ERRCODE = 'invalid_parameter_value';
  END IF;
  BEGIN
    EXECUTE format('LOCK TABLE %I IN SHARE MODE', p_name);
    EXECUTE format('SELECT coalesce(array_agg(a), ''{}''), coalesce(array_agg(c), ''{}'') FROM (SELECT account_id, count(*) FROM %I GROUP BY 1) s(a, c)', p_name)
      INTO v_ids, v_ns;
    IF NOT (v_ids <@ p_accounts) THEN
      RETURN;
    END IF;
    EXECUTE format('DROP TABLE %I', p_name);
  EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
    RETURN;
  END;
  RETURN QUERY SELECT * FROM unnest(v_ids, v_ns);
END $$;`);

    for (const fn of ['app_retention_accounts()', 'audit_partition_accounts(text)', 'audit_drop_partition(text, uuid[])']) {
      this.addSql(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC;`);
      this.addSql(`REVOKE ALL ON FUNCTION ${fn} FROM audit_app;`);
      this.addSql(`GRANT EXECUTE ON FUNCTION ${fn} TO audit_retention;`);
    }
    // The retention job reads the partition list too.
    this.addSql(`GRANT EXECUTE ON FUNCTION audit_partitions() TO audit_retention;`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP FUNCTION IF EXISTS audit_drop_partition(text, uuid[]);`);
    this.addSql(`DROP FUNCTION IF EXISTS audit_partition_accounts(text);`);
    this.addSql(`DROP FUNCTION IF EXISTS app_retention_accounts();`);
    this.addSql(`DROP INDEX IF EXISTS event_idempotency_occurred_idx;`);
    this.addSql(`ALTER ROLE audit_retention NOLOGIN;`);
    this.addSql(`drop table if exists "legal_holds" cascade;`);
  }
}
