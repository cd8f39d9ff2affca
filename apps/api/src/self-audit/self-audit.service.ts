import { Injectable } from '@nestjs/common';
import type { EventInput } from '@audit-trail/audit-core';
import { type SqlExecutor } from '@audit-trail/data';
import { AuditWriter, type PlatformActor, type PlatformRecord } from '@audit-trail/engines';
import type { PlanId } from '@audit-trail/plans';
import type { Principal, RequestMeta } from '../common/principal';

export type AuditActor =
  | { kind: 'principal'; principal: Principal; keyName?: string }
  | { kind: 'user'; userId: string; email: string; name: string | null }
  | { kind: 'system'; id: string; name: string }
  | { kind: 'ref'; type: 'user' | 'api_key'; id: string; email?: string; name?: string }
  /** One of the tenant's own customers, reading through a viewer token. */
  | { kind: 'viewer'; id: string; email?: string };

export interface SelfAuditEvent {
  accountId: string;
  /** The account's plan at the time of the action: nothing is recorded without the audit log. */
  plan: PlanId;
  workspaceId?: string | null;
  action: string;
  actor: AuditActor;
  meta?: RequestMeta;
  target?: EventInput['target'];
  metadata?: Record<string, unknown>;
  changes?: EventInput['changes'];
  outcome?: EventInput['outcome'];
}

function actorOf(a: AuditActor): PlatformActor {
  switch (a.kind) {
    case 'principal':
      if (a.principal.kind === 'api_key') {
        return { type: 'api_key', id: a.principal.apiKeyId ?? undefined, name: a.keyName };
      }
      return {
        type: 'user',
        id: a.principal.userId ?? undefined,
        email: a.principal.email ?? undefined,
        name: a.principal.name ?? undefined,
      };
    case 'user':
      return { type: 'user', id: a.userId, email: a.email, name: a.name ?? undefined };
    case 'system':
      return { type: 'system', id: a.id, name: a.name };
    case 'ref':
      return { type: a.type, id: a.id, email: a.email, name: a.name };
    case 'viewer':
      return { type: 'viewer', id: a.id, email: a.email };
  }
}

/**
 * The platform audits itself: administrative actions are written to the
 * tenant's own log, in the same transaction as the change they describe.
 * This adapts the API's principals to the platform's one audit writer.
 */
@Injectable()
export class SelfAuditService {
  constructor(private readonly audit: AuditWriter) {}

  async record(exec: SqlExecutor, e: SelfAuditEvent): Promise<void> {
    await this.audit.record(exec, e.plan, this.toRecord(e));
  }

  /** A platform record with no change to sit next to (a read of the log): through group commit. */
  async recordNow(e: SelfAuditEvent): Promise<void> {
    await this.audit.recordNow(e.plan, this.toRecord(e));
  }

  private toRecord(e: SelfAuditEvent): PlatformRecord {
    return {
      accountId: e.accountId,
      workspaceId: e.workspaceId ?? null,
      action: e.action,
      actor: actorOf(e.actor),
      // Administration performed with an API key names the key: "everything this key did".
      apiKeyId: e.actor.kind === 'principal' && e.actor.principal.kind === 'api_key' ? e.actor.principal.apiKeyId : null,
      context: e.meta ? { ip: e.meta.ip ?? undefined, user_agent: e.meta.userAgent ?? undefined } : undefined,
      target: e.target,
      metadata: e.metadata,
      changes: e.changes,
      outcome: e.outcome,
    };
  }
}
