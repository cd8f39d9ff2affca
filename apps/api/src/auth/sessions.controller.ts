import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { Database, endUserSession, readAccountPlan, userSessions } from '@audit-trail/data';
import { planOrFree } from '@audit-trail/plans';
import { uuidPipe } from '../accounts/accounts.controller';
import { AppError, ErrorCode, notFound } from '../common/errors';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { Doc } from '../openapi/doc.decorator';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { AllowedBeforeMfa } from './decorators';

function person(p: Principal): string {
  if (p.kind !== 'session' || !p.userId) throw new AppError(ErrorCode.Forbidden, 'Sessions belong to a person: sign in to the console.');
  return p.userId;
}

/** A person's own console sessions, in every account they belong to. */
@Controller('v1/auth/sessions')
export class SessionsController {
  constructor(
    private readonly db: Database,
    private readonly audit: SelfAuditService,
  ) {}

  @Get()
  @AllowedBeforeMfa()
  @Doc({ summary: 'Your sessions in every account: device, address, when it was last used', tag: 'Identity' })
  async list(@CurrentPrincipal() p: Principal) {
    const rows = await userSessions(this.db, person(p));
    return {
      data: rows.map((r) => ({
        id: r.id,
        account_id: r.account_id,
        account_name: r.account_name,
        ip: r.ip,
        user_agent: r.user_agent,
        created_at: r.created_at.toISOString(),
        last_seen_at: (r.last_seen_at ?? r.created_at).toISOString(),
        expires_at: r.expires_at.toISOString(),
        current: r.id === p.sessionId,
      })),
      next_cursor: null,
    };
  }

  @Delete(':id')
  @HttpCode(204)
  @AllowedBeforeMfa()
  @Doc({ summary: 'End one of your sessions (404 for anyone else’s)', tag: 'Identity' })
  async revoke(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    const userId = person(p);
    const accountId = await endUserSession(this.db, userId, id);
    if (!accountId) throw notFound('Session');
    const plan = await this.db.tenant(accountId, (c) => readAccountPlan(c, accountId), { readOnly: true });
    if (plan === null) return;
    await this.audit.recordNow({
      accountId,
      plan: planOrFree(plan).id,
      action: 'session.revoked',
      actor: { kind: 'user', userId, email: p.email ?? '', name: p.name },
      meta,
      target: { type: 'session', id },
      metadata: { scope: 'own', current: id === p.sessionId },
    });
  }
}
