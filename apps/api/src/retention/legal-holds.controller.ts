import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { LEGAL_HOLD_SCOPES } from '@audit-trail/data';
import { z } from 'zod';
import { uuidPipe } from '../accounts/accounts.controller';
import { RequiresEntitlement } from '../auth/decorators';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { RetentionService } from './retention.service';

const placeHoldSchema = z.strictObject({
  scope: z.enum(LEGAL_HOLD_SCOPES),
  workspace_id: z.uuid().nullable().optional(),
  reason: z.string().trim().min(1, 'is required').max(1000),
});

/** Legal holds: account owners on a plan with `legal_hold`; hidden with the rest of the audit log when unlicensed. */
@Controller('v1/legal-holds')
@RequiresEntitlement('audit_log')
export class LegalHoldsController {
  constructor(private readonly retention: RetentionService) {}

  @Get()
  @Doc({ summary: 'Legal holds, active first (account owners)', tag: 'Retention' })
  async list(@CurrentPrincipal() p: Principal) {
    return { data: await this.retention.listHolds(p), next_cursor: null };
  }

  @Post()
  @HttpCode(201)
  @Doc({ summary: 'Place a legal hold: retention deletes nothing in its scope while it is active', body: placeHoldSchema, tag: 'Retention' })
  place(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    return this.retention.placeHold(p, parseBody(placeHoldSchema, body), meta);
  }

  @Delete(':id')
  @Doc({ summary: 'Release a legal hold (kept as a record); the next retention run may purge again', tag: 'Retention' })
  release(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Meta() meta: RequestMeta) {
    return this.retention.releaseHold(p, id, meta);
  }
}
