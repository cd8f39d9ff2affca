import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { Database, listCheckpoints, listSigningKeys } from '@audit-trail/data';
import { checkpointView, proveConsistency, proveInclusion, verifyLog } from '@audit-trail/engines';
import { describeMissingEntitlement, hasEntitlement } from '@audit-trail/plans';
import { AppError, ErrorCode, notFound } from '../common/errors';
import type { Principal } from '../common/principal';
import { ReadRouter } from '../core/read-router';
import { CONFIG } from '../core/tokens';
import { EventsService } from '../events/events.service';

/** Verifications running at once in one API process; more wait their turn. Each holds a worker thread, a second connection and a large join in PostgreSQL. */
const VERIFY_AT_ONCE = 2;

export interface LogChoice {
  scope: 'account' | 'workspace';
  workspace_id?: string;
}

/** The API side of integrity: published keys, signed digests, proofs and verification (entitlement `integrity_proofs`). */
@Injectable()
export class IntegrityService {
  private verifying = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly db: Database,
    private readonly events: EventsService,
    private readonly router: ReadRouter,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  private entitled(p: Principal): void {
    if (!hasEntitlement(p.plan, 'integrity_proofs')) throw new AppError(ErrorCode.PlanLimit, describeMissingEntitlement(p.plan, 'integrity_proofs', 'Integrity proofs'));
  }

  /** One log the principal may read: the account log, or one workspace's. */
  private async logOf(p: Principal, choice: LogChoice, from: 'query' | 'body' = 'query'): Promise<{ accountId: string; workspaceId: string | null }> {
    const log = await this.events.resolveLog(p, choice.scope, choice.workspace_id, from);
    if (log.scope === 'account') return { accountId: p.accountId, workspaceId: null };
    if (!log.workspaceIds || log.workspaceIds.length !== 1) {
      throw new AppError(ErrorCode.Validation, 'The request is not valid.', [{ path: 'workspace_id', message: 'name one workspace: a proof is about one log' }]);
    }
    return { accountId: p.accountId, workspaceId: log.workspaceIds[0] };
  }

  private async keyMap(): Promise<Map<string, string>> {
    const keys = await this.db.withClient((c) => listSigningKeys(c));
    return new Map(keys.map((r) => [r.key_id, r.public_key]));
  }

  async publicKeys(p: Principal) {
    this.entitled(p);
    const keys = await this.db.withClient((c) => listSigningKeys(c));
    return keys.map((r) => ({ key_id: r.key_id, algorithm: r.algorithm, public_key: r.public_key, valid_from: r.valid_from.toISOString(), valid_to: r.valid_to?.toISOString() ?? null }));
  }

  async digests(p: Principal, q: LogChoice & { from?: string; to?: string; limit: number }) {
    this.entitled(p);
    const ref = await this.logOf(p, q);
    const rows = await this.router.tenant(p, p.accountId, (c) => listCheckpoints(c, ref.workspaceId ?? ref.accountId, q));
    return rows.map(checkpointView);
  }

  async verify(p: Principal, q: LogChoice & { from?: string; to?: string }) {
    this.entitled(p);
    const ref = await this.logOf(p, q, 'body');
    if (this.verifying >= VERIFY_AT_ONCE) await new Promise<void>((go) => this.waiting.push(go));
    this.verifying++;
    try {
      const keys = await this.keyMap();
      const result = await this.router.read(p, (db) => verifyLog(db, keys, ref, { from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined }));
      // How often the worker seals, so a reader of `pending` knows when those events will be protected.
      return { ...result, seal_every_seconds: Math.round(this.config.INTEGRITY_SEAL_MS / 1000) };
    } finally {
      this.verifying--;
      this.waiting.shift()?.();
    }
  }

  async proof(p: Principal, eventId: string) {
    this.entitled(p);
    // Reading the event checks the caller may see it (log rules, plan window).
    await this.events.get(p, eventId);
    const proof = await proveInclusion(this.db, p.accountId, eventId);
    if (!proof) throw new AppError(ErrorCode.Conflict, 'This event is not in a signed checkpoint yet; checkpoints are written at least once a minute. Try again shortly.');
    return proof;
  }

  async consistency(p: Principal, first: string, second: string) {
    this.entitled(p);
    const proof = await proveConsistency(this.db, p.accountId, first, second);
    if (!proof) throw notFound('Checkpoint');
    await this.logOf(p, { scope: proof.first.workspace_id ? 'workspace' : 'account', workspace_id: proof.first.workspace_id ?? undefined });
    return proof;
  }
}
