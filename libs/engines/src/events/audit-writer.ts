import { type EventInput, type EventRecord, normalizeEvent } from '@audit-trail/audit-core';
import { type Database, readAccountPlan, type SqlExecutor } from '@audit-trail/data';
import { hasEntitlement, type PlanId, planOrFree } from '@audit-trail/plans';
import type { EventWriter } from './event-writer';

/** Who a platform record names: anyone who can send events, or a tenant's customer reading through a viewer token. */
export type PlatformActor = Omit<EventInput['actor'], 'type'> & { type: EventInput['actor']['type'] | 'viewer' };

/** A record the platform writes about itself: administration, reads of the log, what its jobs did. */
export interface PlatformRecord {
  accountId: string;
  /** The workspace's log, or the account log (null). */
  workspaceId?: string | null;
  action: string;
  actor: PlatformActor;
  /** The API key that performed the administration, when one did ("everything this key did"). */
  apiKeyId?: string | null;
  context?: EventInput['context'];
  target?: EventInput['target'];
  metadata?: Record<string, unknown>;
  changes?: EventInput['changes'];
  outcome?: EventInput['outcome'];
}

/** The stored event for a platform record (source `platform` is set by the writer). */
export function platformEventRecord(r: PlatformRecord, receivedAt = new Date()): EventRecord {
  const { type, ...actor } = r.actor;
  const record = normalizeEvent(
    { action: r.action, actor: { ...actor, type: 'system' }, target: r.target, context: r.context, metadata: r.metadata, changes: r.changes, outcome: r.outcome },
    { accountId: r.accountId, receivedAt, workspaceId: r.workspaceId ?? null, apiKeyId: r.apiKeyId ?? null },
  );
  // Ingest accepts user, api_key and system; the platform also names viewers.
  return { ...record, actor_type: type };
}

/**
 * The one way the platform records itself in a tenant's log, for the API and
 * the worker alike. Every record is `source: platform`, and none is written
 * when the account's plan has no audit log (the log is hidden; nothing is
 * recorded). Each method returns whether it recorded.
 */
export class AuditWriter {
  constructor(
    private readonly db: Database,
    private readonly writer: EventWriter,
  ) {}

  /** In the caller's transaction, next to the change it describes: both commit, or neither. */
  async record(exec: SqlExecutor, plan: PlanId, r: PlatformRecord): Promise<boolean> {
    if (!hasEntitlement(plan, 'audit_log')) return false;
    await this.writer.writeInTransaction(exec, r.accountId, [platformEventRecord(r)]);
    return true;
  }

  /** With no change to sit next to (a read of the log): through group commit, a share of one flush. */
  async recordNow(plan: PlanId, r: PlatformRecord): Promise<boolean> {
    if (!hasEntitlement(plan, 'audit_log')) return false;
    await this.writer.writePlatform(r.accountId, [platformEventRecord(r)]);
    return true;
  }

  /** From a job that does not hold the plan: reads it and writes in one tenant transaction. */
  async recordForJob(r: PlatformRecord, now = new Date()): Promise<boolean> {
    return this.db.tenant(r.accountId, async (c) => {
      const plan = await readAccountPlan(c, r.accountId);
      if (plan === null || !hasEntitlement(planOrFree(plan).id, 'audit_log')) return false;
      await this.writer.writeInTransaction(c, r.accountId, [platformEventRecord(r, now)]);
      return true;
    });
  }
}
