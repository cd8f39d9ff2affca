import { Migration } from '@mikro-orm/migrations';

const due = (join: string) => `
CREATE OR REPLACE FUNCTION app_forwarding_due(p_now timestamptz)
RETURNS TABLE (destination_id uuid, account_id uuid, replay_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog SET row_security = off AS $$
  SELECT d.id, d.account_id, NULL::uuid FROM destinations d
  WHERE d.enabled AND d.deleted_at IS NULL AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= p_now)
  UNION ALL
  SELECT r.destination_id, r.account_id, r.id FROM destination_replays r JOIN destinations d ON ${join}
  WHERE r.status IN ('queued', 'running') AND d.enabled AND d.deleted_at IS NULL AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= p_now)
$$;`;

/**
 * The forwarding scheduler's scan across tenants joined a replay to its
 * destination by id alone. On Citus a join of two distributed tables runs on
 * each worker only when it includes the distribution column (a co-located
 * join), and the destination's key is (account_id, id) since the tenant keys
 * migration: join on both.
 */
export class Migration20261202180000_colocated_due_join extends Migration {
  override async up(): Promise<void> {
    this.addSql(due('d.account_id = r.account_id AND d.id = r.destination_id'));
  }

  override async down(): Promise<void> {
    this.addSql(due('d.id = r.destination_id'));
  }
}
