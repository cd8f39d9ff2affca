import { Migration } from '@mikro-orm/migrations';

/**
 * Who revoked an API key (a person's user id, or the key that did it), so
 * the console can list revoked keys with when and by whom. Keys revoked
 * before this keep null: the api_key.revoked entry in the log still names
 * the actor.
 */
export class Migration20261202010000_key_revoked_by extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE api_keys ADD COLUMN revoked_by uuid;`);
  }

  override async down(): Promise<void> {
    this.addSql(`ALTER TABLE api_keys DROP COLUMN revoked_by;`);
  }
}
