import { Migration } from '@mikro-orm/migrations';

/** The platform's own actions when provenance was introduced (frozen here: later actions are written with their source). */
const PLATFORM_ACTIONS = [
  'user.signed_up', 'auth.login', 'auth.login_failed', 'auth.logout', 'api_key.created', 'api_key.rotated', 'api_key.revoked',
  'member.invited', 'member.joined', 'member.role_changed', 'member.removed', 'workspace.created', 'workspace.renamed',
  'workspace.deleted', 'plan.changed', 'export.requested', 'export.downloaded', 'destination.created', 'destination.updated',
  'destination.deleted', 'destination.disabled', 'destination.replayed', 'retention.purged', 'legal_hold.placed', 'legal_hold.released',
  'catalog.action_registered', 'catalog.action_updated', 'catalog.action_removed',
];
/** Actor ids the platform's system actions used. */
const SYSTEM_ACTORS = ['retention', 'forwarding', 'stripe', 'operator'];

/**
 * Provenance: every event says whether the platform wrote it or a tenant
 * sent it (`source`), and which API key sent it or performed the
 * administration it records (`api_key_id`). Both are sealed into leaves of
 * version 2; leaves sealed before keep version 1 and verify as they were.
 *
 * Existing rows: a row is the platform's when its action is a platform
 * action AND its actor is one the platform writes — a system actor the
 * platform uses, a user of the platform, or an API key of that account. An
 * ingested row with a platform action name but another actor stays `api`.
 */
export class Migration20261201130000_provenance extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE audit_events ADD COLUMN source text NOT NULL DEFAULT 'api' CONSTRAINT audit_events_source_check CHECK (source IN ('platform', 'api')), ADD COLUMN api_key_id uuid;`);
    const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
    // The append-only trigger refuses every UPDATE: lift it on the table and each partition for this one backfill.
    this.addSql(`
DO $$
DECLARE p regclass;
BEGIN
  ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
  FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'audit_events'::regclass LOOP
    EXECUTE format('ALTER TABLE %s DISABLE TRIGGER audit_events_append_only', p);
  END LOOP;
  UPDATE audit_events e
     SET source = 'platform',
         api_key_id = CASE WHEN e.actor_type = 'api_key' THEN (SELECT k.id FROM api_keys k WHERE k.account_id = e.account_id AND k.id::text = e.actor_id) END
   WHERE e.action IN (${list(PLATFORM_ACTIONS)})
     AND ((e.actor_type = 'system' AND e.actor_id IN (${list(SYSTEM_ACTORS)}))
       OR (e.actor_type = 'user' AND EXISTS (SELECT 1 FROM users u WHERE u.id::text = e.actor_id))
       OR (e.actor_type = 'api_key' AND EXISTS (SELECT 1 FROM api_keys k WHERE k.account_id = e.account_id AND k.id::text = e.actor_id)));
  ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;
  FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'audit_events'::regclass LOOP
    EXECUTE format('ALTER TABLE %s ENABLE TRIGGER audit_events_append_only', p);
  END LOOP;
END $$;`);
    // Filters: a key's events across every log, and the platform's own records.
    this.addSql(`CREATE INDEX audit_events_api_key_idx ON audit_events (account_id, api_key_id, occurred_at DESC, id DESC) WHERE api_key_id IS NOT NULL;`);
    this.addSql(`CREATE INDEX audit_events_platform_idx ON audit_events (account_id, workspace_id, occurred_at DESC, id DESC) WHERE source = 'platform';`);
    // Leaves say which fields they cover: 1 without provenance (sealed before), 2 with.
    this.addSql(`ALTER TABLE integrity_leaves ADD COLUMN leaf_version smallint NOT NULL DEFAULT 1;`);
    this.addSql(`ALTER TABLE integrity_leaves ALTER COLUMN leaf_version SET DEFAULT 2;`);
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE integrity_leaves DROP COLUMN leaf_version;');
    this.addSql('DROP INDEX IF EXISTS audit_events_platform_idx; DROP INDEX IF EXISTS audit_events_api_key_idx;');
    this.addSql('ALTER TABLE audit_events DROP COLUMN api_key_id, DROP COLUMN source;');
  }
}
