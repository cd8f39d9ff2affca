import { Body, Controller, Get, Patch } from '@nestjs/common';
import { accountRequiresMfa, Database, setAccountRequiresMfa, totpState } from '@audit-trail/data';
import { AppError, ErrorCode } from '../common/errors';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { securitySettingsSchema } from './auth.schemas';
import { RequiresScope } from './decorators';

/** How people sign in to this account: the two-factor requirement (single sign-on joins it later). */
@Controller('v1/security')
@RequiresScope('admin')
export class SecurityController {
  constructor(
    private readonly db: Database,
    private readonly audit: SelfAuditService,
  ) {}

  @Get()
  @Doc({ summary: "The account's sign-in settings", tag: 'Identity' })
  async get(@CurrentPrincipal() p: Principal) {
    return { require_mfa: await this.db.tenant(p.accountId, (c) => accountRequiresMfa(c, p.accountId), { readOnly: true }) };
  }

  @Patch()
  @Doc({ summary: 'Require two-factor of every password user (people without it must set it up at their next request)', body: securitySettingsSchema, tag: 'Identity' })
  async update(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    const input = parseBody(securitySettingsSchema, body);
    await this.db.tenant(
      p.accountId,
      async (c) => {
        // Whoever turns it on from the console has it already, so nobody locks themself into the set-up screen by surprise.
        if (input.require_mfa && p.kind === 'session' && p.userId && !(await totpState(c, p.userId))?.enabled_at) {
          throw new AppError(ErrorCode.Conflict, 'Turn on two-factor for yourself first (Account page), then require it of everyone.');
        }
        const before = await setAccountRequiresMfa(c, p.accountId, input.require_mfa);
        if (before === input.require_mfa) return;
        await this.audit.record(c, {
          accountId: p.accountId,
          plan: p.plan,
          action: input.require_mfa ? 'mfa.required_enabled' : 'mfa.required_disabled',
          actor: { kind: 'principal', principal: p },
          meta,
          target: { type: 'account', id: p.accountId },
          changes: { before: { require_mfa: before }, after: { require_mfa: input.require_mfa } },
        });
      },
      { userId: p.userId ?? undefined },
    );
    return { require_mfa: input.require_mfa };
  }
}
