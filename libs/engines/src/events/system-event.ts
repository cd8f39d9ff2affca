import { type EventInput, normalizeEvent } from '@audit-trail/audit-core';
import { hasEntitlement, planOrFree } from '@audit-trail/plans';
import type { Database } from '@audit-trail/data';
import type { EventWriter } from './event-writer';

/** What the platform itself does on its own (retention, forwarding), recorded in the tenant's log. */
export interface SystemEvent {
  accountId: string;
  action: string;
  actor: { id: string; name: string };
  target?: EventInput['target'];
  metadata?: Record<string, unknown>;
  workspaceId?: string | null;
}

/**
 * Record a system event for a worker job: reads the account's plan in the
 * same transaction, and like every self-audit event records nothing when
 * the plan has no audit log. Returns whether it was recorded.
 */
export async function recordSystemEvent(db: Database, writer: EventWriter, e: SystemEvent, now = new Date()): Promise<boolean> {
  return db.tenant(e.accountId, async (c) => {
    const { rows } = await c.query<{ plan: string }>('SELECT plan FROM accounts WHERE id = $1', [e.accountId]);
    if (!rows[0] || !hasEntitlement(planOrFree(rows[0].plan).id, 'audit_log')) return false;
    const record = normalizeEvent(
      { action: e.action, actor: { type: 'system', id: e.actor.id, name: e.actor.name }, target: e.target, metadata: e.metadata },
      { accountId: e.accountId, receivedAt: now, workspaceId: e.workspaceId ?? null },
    );
    await writer.writeInTransaction(c, e.accountId, [record]);
    return true;
  });
}
