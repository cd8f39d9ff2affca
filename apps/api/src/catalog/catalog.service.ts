import { Injectable } from '@nestjs/common';
import { ACTION_RE, type FieldError, formatPath, MAX_JSON_BYTES, PLATFORM_ACTIONS } from '@audit-trail/audit-core';
import { Database, type TenantAction, tenantActions } from '@audit-trail/data';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import { AppError, ErrorCode, notFound } from '../common/errors';
import type { Principal, RequestMeta } from '../common/principal';
import { SelfAuditService } from '../self-audit/self-audit.service';

export const registerActionSchema = z.strictObject({
  category: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a lower-case identifier such as billing or my_category'),
  description: z.string().trim().min(1).max(500).nullable().optional(),
  /** A JSON Schema (2020-12) that the action's metadata must match. */
  metadata_schema: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type RegisterAction = z.infer<typeof registerActionSchema>;

/** How long one API process trusts its copy of an account's catalog (another process's change shows within this). */
const CATALOG_TTL_MS = 1000;
const MAX_CACHED_VALIDATORS = 10_000;

export function actionView(a: TenantAction) {
  return { action: a.action, category: a.category, description: a.description, metadata_schema: a.metadata_schema, version: a.version, updated_at: a.updated_at.toISOString() };
}

/** `/plan/0` → `.plan[0]`, in the API's path style. */
function pointerPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(e: ErrorObject): { path: (string | number)[]; message: string } {
  const path = pointerPath(e.instancePath);
  if (e.keyword === 'required') return { path: [...path, (e.params as { missingProperty: string }).missingProperty], message: 'is required by the action’s metadata schema' };
  if (e.keyword === 'additionalProperties') return { path: [...path, (e.params as { additionalProperty: string }).additionalProperty], message: 'is not allowed by the action’s metadata schema' };
  return { path, message: e.message ?? 'does not match the action’s metadata schema' };
}

/** Keywords that run a tenant's regular expression: refused, so no schema can stall ingest with catastrophic backtracking. */
function findRegexKeyword(schema: unknown): string | null {
  const stack: unknown[] = [schema];
  while (stack.length) {
    const v = stack.pop();
    if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        if (k === 'pattern' || k === 'patternProperties') return k;
        stack.push(child);
      }
    }
  }
  return null;
}

/**
 * A tenant's own actions: category, description and an optional JSON Schema
 * for their metadata. Ingest asks this service for the account's
 * registrations (cached per process for a second) and validates metadata
 * with validators compiled once per (account, action, version).
 */
@Injectable()
export class CatalogService {
  private readonly ajv = addFormats(new Ajv2020({ allErrors: true, strict: false, validateFormats: true }));
  private readonly byAccount = new Map<string, { at: number; actions: Promise<Map<string, TenantAction>> }>();
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(
    private readonly db: Database,
    private readonly audit: SelfAuditService,
  ) {}

  /** The account's registered actions (a copy at most a second old in this process). */
  async registrations(accountId: string): Promise<Map<string, TenantAction>> {
    const hit = this.byAccount.get(accountId);
    if (hit && Date.now() - hit.at < CATALOG_TTL_MS) return hit.actions;
    const actions = this.db.tenant(accountId, async (c) => new Map((await tenantActions.list(c)).map((a) => [a.action, a])));
    this.byAccount.set(accountId, { at: Date.now(), actions });
    actions.catch(() => this.byAccount.delete(accountId));
    if (this.byAccount.size > 50_000) this.byAccount.clear();
    return actions;
  }

  private validator(accountId: string, a: TenantAction): ValidateFunction | null {
    if (!a.metadata_schema) return null;
    const key = `${accountId}:${a.action}:${a.version}`;
    let v = this.validators.get(key);
    if (!v) {
      if (this.validators.size >= MAX_CACHED_VALIDATORS) this.validators.clear();
      v = this.ajv.compile(a.metadata_schema);
      this.validators.set(key, v);
    }
    return v;
  }

  /** Check one event's metadata against its action's schema; field errors under `prefix` (e.g. `events[2].`). */
  checkMetadata(accountId: string, a: TenantAction | undefined, metadata: unknown, prefix: string): FieldError[] {
    if (!a) return [];
    const validate = this.validator(accountId, a);
    if (!validate || validate(metadata ?? {})) return [];
    return (validate.errors ?? []).slice(0, 5).map((e) => {
      const d = describe(e);
      return { path: formatPath(['metadata', ...d.path], prefix.replace(/\.$/, '')), message: d.message };
    });
  }

  /** Refuse what cannot be registered: platform actions, schemas that do not compile, are too large, or run regular expressions. */
  private check(action: string, input: RegisterAction): void {
    if (!ACTION_RE.test(action) || action.length > 128) throw new AppError(ErrorCode.Validation, 'The action is not valid.', [{ path: 'action', message: 'must look like resource.verb (lower case, dot separated)' }]);
    if (action in PLATFORM_ACTIONS) throw new AppError(ErrorCode.Conflict, `${action} is one of the platform's own actions and cannot be registered.`);
    const schema = input.metadata_schema;
    if (!schema) return;
    const bytes = Buffer.byteLength(JSON.stringify(schema));
    if (bytes > MAX_JSON_BYTES) throw new AppError(ErrorCode.Validation, 'The request body is not valid.', [{ path: 'metadata_schema', message: `is ${bytes} bytes; the limit is ${MAX_JSON_BYTES}` }]);
    const regex = findRegexKeyword(schema);
    if (regex) throw new AppError(ErrorCode.Validation, 'The request body is not valid.', [{ path: 'metadata_schema', message: `uses ${regex}, which metadata schemas do not support (a tenant's regular expression could stall ingest)` }]);
    try {
      this.ajv.compile(schema);
    } catch (err) {
      throw new AppError(ErrorCode.Validation, 'The request body is not valid.', [{ path: 'metadata_schema', message: `is not a valid JSON Schema (2020-12): ${(err as Error).message}` }]);
    }
  }

  async get(p: Principal, action: string) {
    const a = await this.db.tenant(p.accountId, (c) => tenantActions.get(c, action));
    if (!a) throw notFound('Action');
    return actionView(a);
  }

  /** Create or replace a registration; audited with before and after. Returns whether it was new. */
  async register(p: Principal, action: string, input: RegisterAction, meta: RequestMeta) {
    this.check(action, input);
    const result = await this.db.tenant(p.accountId, async (c) => {
      const before = await tenantActions.getForUpdate(c, action);
      const after = await tenantActions.upsert(c, p.accountId, { action, category: input.category, description: input.description ?? null, metadata_schema: input.metadata_schema ?? null });
      const view = (a: TenantAction) => ({ category: a.category, description: a.description, metadata_schema: a.metadata_schema });
      await this.audit.record(c, {
        accountId: p.accountId,
        plan: p.plan,
        action: before ? 'catalog.action_updated' : 'catalog.action_registered',
        actor: { kind: 'principal', principal: p },
        meta,
        target: { type: 'action', id: action, name: action },
        metadata: { version: after.version },
        changes: { before: before ? view(before) : null, after: view(after) },
      });
      return { created: !before, action: after };
    });
    this.byAccount.delete(p.accountId);
    return { created: result.created, body: actionView(result.action) };
  }

  async remove(p: Principal, action: string, meta: RequestMeta): Promise<void> {
    await this.db.tenant(p.accountId, async (c) => {
      const before = await tenantActions.remove(c, action);
      if (!before) throw notFound('Action');
      await this.audit.record(c, {
        accountId: p.accountId,
        plan: p.plan,
        action: 'catalog.action_removed',
        actor: { kind: 'principal', principal: p },
        meta,
        target: { type: 'action', id: action, name: action },
        changes: { before: { category: before.category, description: before.description, metadata_schema: before.metadata_schema }, after: null },
      });
    });
    this.byAccount.delete(p.accountId);
  }
}
