import { Migration } from '@mikro-orm/migrations';

/**
 * Saved searches: a person's named filter sets for the Audit Log, kept on
 * the server so they follow the person to another browser. Private to the
 * person who saved them; tenant-isolated like every tenant table.
 */
export class Migration20261202100000_saved_searches extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE saved_searches (
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name text NOT NULL,
  query text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT saved_searches_pkey PRIMARY KEY (account_id, id),
  CONSTRAINT saved_searches_name_key UNIQUE (account_id, user_id, name)
);`);
    this.addSql(`ALTER TABLE saved_searches ENABLE ROW LEVEL SECURITY;`);
    this.addSql(`ALTER TABLE saved_searches FORCE ROW LEVEL SECURITY;`);
    this.addSql(`CREATE POLICY tenant_isolation ON saved_searches USING (account_id = app_current_account()) WITH CHECK (account_id = app_current_account());`);
    this.addSql(`GRANT SELECT, INSERT, UPDATE, DELETE ON saved_searches TO audit_app;`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP TABLE saved_searches;`);
  }
}
