import type { RedisClient } from '@audit-trail/queues';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '@audit-trail/config';
import type { LogSelector } from '@audit-trail/data';
import type { PlanId } from '@audit-trail/plans';
import { createHash } from 'node:crypto';
import type { Principal, RequestMeta } from '../common/principal';
import { CONFIG, REDIS } from '../core/tokens';
import { type AuditActor, SelfAuditService } from './self-audit.service';

/** A tenant's customer reading a slice of a log through a viewer token. */
export interface ViewerReader {
  kind: 'viewer';
  accountId: string;
  plan: PlanId;
  viewer: { id: string; email?: string };
}

/** Whoever reads the evidence: a principal of the account, or a viewer. */
export type Reader = Principal | ViewerReader;

function readerActor(r: Reader): AuditActor {
  return r.kind === 'viewer' ? { kind: 'viewer', id: r.viewer.id, email: r.viewer.email } : { kind: 'principal', principal: r };
}

function readerKey(r: Reader): string {
  if (r.kind === 'viewer') return `viewer:${r.viewer.id}`;
  return r.kind === 'api_key' ? `key:${r.apiKeyId}` : `user:${r.userId}`;
}

/** One `log.viewed` per principal, log and filter set in this window. */
export const READ_WINDOW_MS = 15 * 60_000;
const SWEEP_EVERY_MS = 30_000;

interface Window {
  account: string;
  plan: PlanId;
  actor: AuditActor;
  meta: RequestMeta;
  workspace: string | null;
  filters: Record<string, unknown>;
  first: string;
}

/**
 * Reads of the evidence are evidence too. Opening one entry is recorded at
 * once (`event.viewed`). Reading a log is recorded once per principal, log
 * and filter set per 15 minutes (`log.viewed`), with the filters and how many
 * pages were read: the window lives in Redis, so it holds across API
 * processes, and the entry is written when the window closes by whichever
 * process sweeps first. With Redis down, each read is written on its own.
 */
@Injectable()
export class ReadAuditService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ReadAudit');
  private timer?: NodeJS.Timeout;
  private readonly prefix: string;

  constructor(
    private readonly audit: SelfAuditService,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(CONFIG) config: AppConfig,
  ) {
    // One hash tag for the windows and their due-list: the transaction below touches both, which a cluster allows only within one slot.
    this.prefix = `{${config.QUEUE_PREFIX}:reads}`;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One entry opened (by id or permalink): written now, in the entry's own log. */
  async eventViewed(p: Reader, meta: RequestMeta, e: { id: string; workspace_id: string | null; action: string }): Promise<void> {
    await this.audit.recordNow({
      accountId: p.accountId,
      plan: p.plan,
      workspaceId: e.workspace_id,
      action: 'event.viewed',
      actor: readerActor(p),
      meta,
      target: { type: 'event', id: e.id, name: e.action },
    });
  }

  /** Any other read or check the platform records (a verification, a proof, a test send, a billing page). */
  async note(p: Principal, meta: RequestMeta, action: string, extra: { workspaceId?: string | null; target?: { type: string; id?: string; name?: string }; metadata?: Record<string, unknown> } = {}): Promise<void> {
    await this.audit.recordNow({ accountId: p.accountId, plan: p.plan, action, actor: { kind: 'principal', principal: p }, meta, ...extra });
  }

  /** logViewed without making the reader wait; a failure is logged (the fallback inside already tried the database). */
  logViewedLater(p: Reader, meta: RequestMeta, log: LogSelector, filters: Record<string, unknown>): void {
    this.logViewed(p, meta, log, filters).catch((err: Error) => this.logger.error(`log.viewed not recorded: ${err.message}`));
  }

  /** A page of a log was read. `filters` are the query's own (not the cursor or limit). */
  async logViewed(p: Reader, meta: RequestMeta, log: LogSelector, filters: Record<string, unknown>): Promise<void> {
    const workspace = log.scope === 'workspace' && log.workspaceIds?.length === 1 ? log.workspaceIds[0] : null;
    const logFilters = { ...filters, log: log.scope, ...(log.workspaceIds ? { workspace_ids: log.workspaceIds } : {}) };
    const digest = createHash('sha256').update(JSON.stringify([readerKey(p), logFilters])).digest('base64url').slice(0, 22);
    const key = `${this.prefix}:w:${p.accountId}:${digest}`;
    const now = Date.now();
    const window: Window = { account: p.accountId, plan: p.plan, actor: readerActor(p), meta, workspace, filters: logFilters, first: new Date(now).toISOString() };
    try {
      const res = await this.redis
        .multi()
        .hsetnx(key, 'window', JSON.stringify(window))
        .hincrby(key, 'pages', 1)
        .hset(key, 'last', new Date(now).toISOString())
        .pexpire(key, READ_WINDOW_MS * 4)
        .zadd(`${this.prefix}:due`, 'NX', now + READ_WINDOW_MS, key)
        .exec();
      if (!res || res.some(([err]) => err)) throw new Error('redis transaction failed');
    } catch (err) {
      // No window to count in: record this read by itself rather than not at all.
      this.logger.warn(`read windows unavailable (${(err as Error).message}); recording the read directly`);
      await this.write(window, 1, window.first);
    }
  }

  /** Write every window that has closed; a window is claimed by exactly one process (ZREM). */
  async sweep(now = Date.now()): Promise<number> {
    const due = await this.redis.zrangebyscore(`${this.prefix}:due`, '-inf', now, 'LIMIT', 0, 500);
    let written = 0;
    for (const key of due) {
      if ((await this.redis.zrem(`${this.prefix}:due`, key)) !== 1) continue; // another process has it
      const h = await this.redis.hgetall(key);
      if (!h.window) continue;
      try {
        await this.write(JSON.parse(h.window) as Window, Number(h.pages ?? 1), h.last ?? null);
        await this.redis.del(key);
        written++;
      } catch (err) {
        // Try again on a later sweep.
        await this.redis.zadd(`${this.prefix}:due`, now + SWEEP_EVERY_MS, key);
        this.logger.warn(`log.viewed not written yet: ${(err as Error).message}`);
      }
    }
    return written;
  }

  private async write(w: Window, pages: number, last: string | null): Promise<void> {
    await this.audit.recordNow({
      accountId: w.account,
      plan: w.plan,
      workspaceId: w.workspace,
      action: 'log.viewed',
      actor: w.actor,
      meta: w.meta,
      metadata: { filters: w.filters, pages, first_read_at: w.first, last_read_at: last ?? w.first },
    });
  }
}
