import { Migration } from '@mikro-orm/migrations';

export class Migration20261122194407_exports extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "exports" ("id" uuid not null, "account_id" uuid not null, "scope" text not null, "workspace_id" uuid null, "format" text not null, "gzip" boolean not null default false, "filters" jsonb not null, "status" text not null default 'queued', "progress" double precision not null default 0, "row_count" bigint not null default 0, "bytes" bigint not null default 0, "file_key" text null, "sha256" text null, "error" text null, "requested_by" text null, "attempts" int not null default 0, "created_at" timestamptz not null default now(), "started_at" timestamptz null, "completed_at" timestamptz null, "expires_at" timestamptz null, constraint "exports_pkey" primary key ("id"));`);
    this.addSql(`create index "exports_account_id_created_at_index" on "exports" ("account_id", "created_at");`);

    this.addSql(`alter table "exports" add constraint "exports_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete cascade;`);

    // Reviewed addition: tenant isolation, and the worker's cross-tenant sweep of expired files.
    this.addSql(`ALTER TABLE exports ENABLE ROW LEVEL SECURITY;`);
    this.addSql(`ALTER TABLE exports FORCE ROW LEVEL SECURITY;`);
    this.addSql(`CREATE POLICY tenant_isolation ON exports USING (account_id = app_current_account()) WITH CHECK (account_id = app_current_account());`);
    this.addSql(`GRANT SELECT, INSERT, UPDATE ON exports TO audit_app;`);
    this.addSql(`
CREATE OR REPLACE FUNCTION app_exports_due(p_now timestamptz, p_stale_queued interval)
RETURNS TABLE (id uuid, account_id uuid, status text, file_key text, expired boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT e.id, e.account_id, e.status, e.file_key, (e.status = 'completed' AND e.expires_at < p_now)
  FROM exports e
  WHERE (e.status = 'completed' AND e.expires_at < p_now)
     OR (e.status IN ('queued', 'running') AND e.created_at < p_now - p_stale_queued)
$$;`);
    this.addSql(`REVOKE ALL ON FUNCTION app_exports_due(timestamptz, interval) FROM PUBLIC;`);
    this.addSql(`GRANT EXECUTE ON FUNCTION app_exports_due(timestamptz, interval) TO audit_app;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "exports" cascade;`);
  }

}
