import { Migration } from '@mikro-orm/migrations';

/**
 * A tenant's own actions carry an optional JSON Schema for their metadata,
 * and a version that goes up on every change (validators are cached by it).
 */
export class Migration20261201120000_tenant_catalog extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE tenant_actions
      ADD COLUMN metadata_schema jsonb,
      ADD COLUMN version integer NOT NULL DEFAULT 1,
      ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();`);
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE tenant_actions DROP COLUMN metadata_schema, DROP COLUMN version, DROP COLUMN updated_at;');
  }
}
