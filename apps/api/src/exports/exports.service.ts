import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ExportRequest, type ExportView, newId } from '@audit-trail/audit-core';
import { type AppConfig } from '@audit-trail/config';
import { Account, Database, emExecutor, Export, findExport, markExportFailed, newExport, recentExports, type StoredExportFilters, TenantOrm, User } from '@audit-trail/data';
import { exportJobId, JOBS, QUEUES, type RunExportPayload } from '@audit-trail/queues';
import { issueDownloadToken, readDownloadToken, LocalExportStorage } from '@audit-trail/engines';
import { describeExportWindow, exportWindowStart, hasEntitlement, mayExportFrom, planOrFree } from '@audit-trail/plans';
import type { Queue } from 'bullmq';
import type { Readable } from 'node:stream';
import { AppError, ErrorCode, notFound, RouteHiddenError } from '../common/errors';
import { canAccessLog, type Principal, type RequestMeta } from '../common/principal';
import { CONFIG } from '../core/tokens';
import { EventsService } from '../events/events.service';
import { SelfAuditService } from '../self-audit/self-audit.service';

const MAX_AGE_MS = 10 * 365.25 * 86_400_000;

@Injectable()
export class ExportsService {
  private readonly logger = new Logger(ExportsService.name);
  private readonly storage: LocalExportStorage;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly tenant: TenantOrm,
    private readonly db: Database,
    private readonly events: EventsService,
    private readonly audit: SelfAuditService,
    @InjectQueue(QUEUES.exports) private readonly queue: Queue<RunExportPayload>,
  ) {
    this.storage = new LocalExportStorage(config.EXPORT_DIR);
  }

  /** Which log an export's self-audit events go to: its workspace's, or the account log. */
  private logOf(e: Export): string | null {
    const ids = e.filters.log.workspaceIds;
    return e.scope === 'workspace' && ids && ids.length === 1 ? ids[0] : null;
  }

  view(e: Export, p: Principal, baseUrl: string): ExportView {
    let download_url: string | null = null;
    let link_expires_at: string | null = null;
    let manifest_url: string | null = null;
    if (e.status === 'completed') {
      const expires = Math.floor(Date.now() / 1000) + this.config.EXPORT_LINK_TTL_SECONDS;
      const token = issueDownloadToken(this.config.SESSION_SECRET, {
        accountId: e.account,
        exportId: e.id,
        expires,
        actorType: p.kind === 'api_key' ? 'api_key' : 'user',
        actorId: (p.kind === 'api_key' ? p.apiKeyId : p.userId) ?? '',
      });
      download_url = `${baseUrl}/v1/exports/${e.id}/download?token=${token}`;
      if (e.manifestKey) manifest_url = `${baseUrl}/v1/exports/${e.id}/manifest?token=${token}`;
      link_expires_at = new Date(expires * 1000).toISOString();
    }
    const { log: _log, requested_at: _r, ...filters } = e.filters;
    return {
      id: e.id,
      status: e.status,
      format: e.format,
      gzip: e.gzip,
      scope: e.scope,
      workspace_id: e.workspaceId,
      filters,
      progress: e.progress,
      row_count: Number(e.rowCount),
      bytes: Number(e.bytes),
      sha256: e.sha256,
      download_url,
      manifest_url,
      link_expires_at,
      expires_at: e.expiresAt?.toISOString() ?? null,
      error: e.error,
      created_at: e.createdAt.toISOString(),
      completed_at: e.completedAt?.toISOString() ?? null,
    };
  }

  async create(p: Principal, input: ExportRequest, meta: RequestMeta, baseUrl: string) {
    const now = new Date();
    const log = await this.events.resolveLog(p, input.scope, input.workspace_id, 'body');
    const earliest = exportWindowStart(p.plan, now) ?? new Date(now.getTime() - MAX_AGE_MS);
    const from = input.from ? new Date(input.from) : earliest;
    const to = input.to ? new Date(input.to) : now;
    if (from > to) throw new AppError(ErrorCode.Validation, 'The request body is not valid.', [{ path: 'from', message: 'must not be after `to`' }]);
    if (!mayExportFrom(p.plan, from, now)) {
      throw new AppError(
        ErrorCode.PlanLimit,
        `${describeExportWindow(p.plan, now)} Allowed range: ${earliest.toISOString()} to now; this export starts at ${from.toISOString()}.`,
      );
    }
    const { scope, workspace_id, format, gzip, from: _f, to: _t, ...filter } = input;
    const stored: StoredExportFilters = { ...filter, log, from: from.toISOString(), to: to.toISOString(), requested_at: now.toISOString() };
    const created = await this.tenant.run(p.accountId, async (em) => {
      const e = newExport(em, {
        id: newId(),
        account: p.accountId,
        scope: log.scope,
        workspaceId: workspace_id ?? p.boundWorkspaceId ?? null,
        format,
        gzip,
        filters: stored,
        requestedBy: p.kind === 'api_key' ? `api_key:${p.apiKeyId}` : `user:${p.userId}`,
      });
      await em.flush();
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId,
        plan: p.plan,
        workspaceId: this.logOf(e),
        action: 'export.requested',
        actor: { kind: 'principal', principal: p },
        meta,
        target: { type: 'export', id: e.id },
        metadata: { format, gzip, scope, from: stored.from, to: stored.to, filters: filter },
      });
      return e;
    });
    try {
      // Redis down must not hang the request: three seconds, then 503.
      await Promise.race([
        this.queue.add(JOBS.runExport, { exportId: created.id, accountId: p.accountId }, { jobId: exportJobId(created.id) }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('queue timeout')), 3000).unref()),
      ]);
    } catch (err) {
      this.logger.error(`could not enqueue export ${created.id}: ${(err as Error).message}`);
      await this.db.tenant(p.accountId, (c) => markExportFailed(c, created.id, 'The job queue was unavailable; request the export again.'));
      throw new AppError(ErrorCode.Unavailable, 'The job queue is unavailable; try again shortly.');
    }
    return this.view(created, p, baseUrl);
  }

  async get(p: Principal, id: string, baseUrl: string) {
    const e = await this.tenant.run(p.accountId, (em) => findExport(em, id));
    if (!e || !this.visible(p, e)) throw notFound('Export');
    return this.view(e, p, baseUrl);
  }

  async list(p: Principal, baseUrl: string) {
    const list = await this.tenant.run(p.accountId, (em) => recentExports(em, 50));
    return list.filter((e) => this.visible(p, e)).map((e) => this.view(e, p, baseUrl));
  }

  /** A workspace-bound key or a workspace admin sees only exports of their workspaces. */
  private visible(p: Principal, e: Export): boolean {
    return canAccessLog(p, e.workspaceId);
  }

  /** The signed manifest beside a file, with the same link token (reading it is not a download of the events). */
  async manifest(id: string, token: string | undefined): Promise<{ stream: Readable; e: Export }> {
    const claims = token ? readDownloadToken(this.config.SESSION_SECRET, token, id, Math.floor(Date.now() / 1000)) : null;
    if (!claims) throw new AppError(ErrorCode.Forbidden, 'This download link is not valid or has expired; fetch the export again for a fresh link.');
    return this.tenant.run(claims.accountId, async (em) => {
      const account = await em.findOneOrFail(Account, { id: claims.accountId });
      if (!hasEntitlement(planOrFree(account.plan).id, 'audit_log')) throw new RouteHiddenError();
      const e = await findExport(em, id);
      if (!e || e.status !== 'completed' || !e.manifestKey) throw notFound('Export manifest');
      const key = e.manifestKey;
      const stream = await this.storage.read(key).catch(() => {
        throw notFound('Export manifest');
      });
      return { stream, e };
    });
  }

  /** Check a download link and open the file; audits `export.downloaded`. */
  async download(id: string, token: string | undefined, meta: RequestMeta): Promise<{ stream: Readable; e: Export }> {
    const claims = token ? readDownloadToken(this.config.SESSION_SECRET, token, id, Math.floor(Date.now() / 1000)) : null;
    if (!claims) throw new AppError(ErrorCode.Forbidden, 'This download link is not valid or has expired; fetch the export again for a fresh link.');
    return this.tenant.run(claims.accountId, async (em) => {
      const account = await em.findOneOrFail(Account, { id: claims.accountId });
      const plan = planOrFree(account.plan).id;
      if (!hasEntitlement(plan, 'audit_log')) throw new RouteHiddenError();
      const e = await findExport(em, id);
      if (!e || e.status !== 'completed' || !e.fileKey) throw notFound('Export file');
      const stream = await this.storage.read(e.fileKey).catch(() => {
        throw notFound('Export file');
      });
      await this.audit.record(emExecutor(em), {
        accountId: claims.accountId,
        plan,
        workspaceId: this.logOf(e),
        action: 'export.downloaded',
        actor: { kind: 'ref', type: claims.actorType, id: claims.actorId, email: claims.actorType === 'user' ? ((await em.findOne(User, { id: claims.actorId }))?.email ?? undefined) : undefined },
        meta,
        target: { type: 'export', id: e.id },
        metadata: { format: e.format, rows: Number(e.rowCount), bytes: Number(e.bytes), sha256: e.sha256 },
      });
      return { stream, e };
    });
  }
}
