import { Body, Controller, Get, Patch } from '@nestjs/common';
import { accountRequiresMfa, accountRequiresSso, Database, setAccountRequiresMfa, totpState } from '@audit-trail/data';
import { AppError, ErrorCode } from '../common/errors';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { SsoService } from '../sso/sso.service';
import { securitySettingsSchema } from './auth.schemas';
import { RequiresScope } from './decorators';

/** How people sign in to this account: the two-factor requirement and "SSO required". */
@Controller('v1/security')
@RequiresScope('admin')
export class SecurityController {
  constructor(
    private readonly db: Database,
    private readonly audit: SelfAuditService,
    private readonly sso: SsoService,
  ) {}

  private read(accountId: string) {
    return this.db.tenant(accountId, async (c) => ({ require_mfa: await accountRequiresMfa(c, accountId), require_sso: await accountRequiresSso(c, accountId) }), { readOnly: true });
  }

  @Get()
  @Doc({ summary: "The account's sign-in settings", tag: 'Identity' })
  get(@CurrentPrincipal() p: Principal) {
    return this.read(p.accountId);
  }

  @Patch()
  @Doc({
    summary: 'Require two-factor of every password user (people without it set it up at their next request), and/or require single sign-on of members (owners keep password with two-factor)',
    body: securitySettingsSchema,
    tag: 'Identity',
  })
  async update(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    const input = parseBody(securitySettingsSchema, body);
    await this.db.tenant(
      p.accountId,
      async (c) => {
        if (input.require_mfa !== undefined) {
          // Whoever turns it on from the console has it already, so nobody locks themself into the set-up screen by surprise.
          if (input.require_mfa && p.kind === 'session' && p.userId && !(await totpState(c, p.userId))?.enabled_at) {
            throw new AppError(ErrorCode.Conflict, 'Turn on two-factor for yourself first (Account page), then require it of everyone.');
          }
          const before = await setAccountRequiresMfa(c, p.accountId, input.require_mfa);
          if (before !== input.require_mfa) {
            await this.audit.record(c, {
              accountId: p.accountId,
              plan: p.plan,
              action: input.require_mfa ? 'mfa.required_enabled' : 'mfa.required_disabled',
              actor: { kind: 'principal', principal: p },
              meta,
              target: { type: 'account', id: p.accountId },
              changes: { before: { require_mfa: before }, after: { require_mfa: input.require_mfa } },
            });
          }
        }
        if (input.require_sso !== undefined) await this.sso.setRequired(c, p, input.require_sso, meta);
      },
      { userId: p.userId ?? undefined },
    );
    return this.read(p.accountId);
  }
}
