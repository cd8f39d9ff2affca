import { Injectable } from '@nestjs/common';
import { API_KEY_SCOPES, ApiKey, emExecutor, TenantOrm, Workspace } from '@audit-trail/data';
import { newId as uuidv7 } from '@audit-trail/audit-core';
import { z } from 'zod';
import { PrincipalResolver } from '../auth/principal.resolver';
import { newApiKey } from '../auth/secrets';
import { AppError, ErrorCode, notFound } from '../common/errors';
import type { Principal, RequestMeta } from '../common/principal';
import { SelfAuditService } from '../self-audit/self-audit.service';

export const createKeySchema = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(100),
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1, 'must name at least one scope').max(4),
  workspace_id: z.uuid().nullable().optional(),
});

export function keyView(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    workspace_id: k.workspaceId,
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    rotated_at: k.rotatedAt?.toISOString() ?? null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
    /** Who revoked it: a member's user id or an API key's id (null before this was recorded). */
    revoked_by: k.revokedBy,
    created_by: k.createdBy,
  };
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly tenant: TenantOrm,
    private readonly audit: SelfAuditService,
    private readonly resolver: PrincipalResolver,
  ) {}

  async list(p: Principal, includeRevoked = false) {
    return this.tenant.run(p.accountId, async (em) => {
      const keys = await em.find(ApiKey, includeRevoked ? {} : { revokedAt: null }, { orderBy: { createdAt: 'desc' } });
      return keys.map(keyView);
    });
  }

  async create(p: Principal, input: z.infer<typeof createKeySchema>, meta: RequestMeta) {
    const secret = newApiKey();
    return this.tenant.run(p.accountId, async (em) => {
      const workspaceId = input.workspace_id ?? null;
      if (workspaceId && !(await em.findOne(Workspace, { id: workspaceId }))) {
        throw new AppError(ErrorCode.Validation, 'The request body is not valid.', [{ path: 'workspace_id', message: 'names a workspace that does not exist' }]);
      }
      if (p.kind === 'api_key' && p.boundWorkspaceId && workspaceId !== p.boundWorkspaceId) {
        throw new AppError(ErrorCode.Forbidden, 'A key bound to a workspace can only create keys for that workspace.');
      }
      const k = em.create(ApiKey, {
        id: uuidv7(), account: p.accountId, name: input.name, prefix: secret.prefix, keyHash: secret.hash,
        scopes: [...new Set(input.scopes)], workspaceId, createdBy: p.userId ?? p.apiKeyId,
      });
      await em.flush();
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId, plan: p.plan, action: 'api_key.created', actor: { kind: 'principal', principal: p }, meta,
        target: { type: 'api_key', id: k.id, name: k.name }, metadata: { scopes: k.scopes, workspace_id: workspaceId, prefix: k.prefix },
      });
      return { ...keyView(k), key: secret.key };
    });
  }

  async rotate(p: Principal, id: string, meta: RequestMeta) {
    const secret = newApiKey();
    const out = await this.tenant.run(p.accountId, async (em) => {
      const k = await em.findOne(ApiKey, { id, revokedAt: null });
      if (!k) throw notFound('API key');
      k.keyHash = secret.hash;
      k.prefix = secret.prefix;
      k.rotatedAt = new Date();
      await em.flush();
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId, plan: p.plan, action: 'api_key.rotated', actor: { kind: 'principal', principal: p }, meta,
        target: { type: 'api_key', id: k.id, name: k.name }, metadata: { prefix: k.prefix },
      });
      return { ...keyView(k), key: secret.key };
    });
    this.resolver.forgetKeys();
    return out;
  }

  async revoke(p: Principal, id: string, meta: RequestMeta) {
    await this.tenant.run(p.accountId, async (em) => {
      const k = await em.findOne(ApiKey, { id, revokedAt: null });
      if (!k) throw notFound('API key');
      k.revokedAt = new Date();
      k.revokedBy = p.userId ?? p.apiKeyId;
      await em.flush();
      await this.audit.record(emExecutor(em), {
        accountId: p.accountId, plan: p.plan, action: 'api_key.revoked', actor: { kind: 'principal', principal: p }, meta,
        target: { type: 'api_key', id: k.id, name: k.name },
      });
    });
    this.resolver.forgetKeys();
  }
}
