import { Body, Controller, HttpCode, Param, Post, Put } from '@nestjs/common';
import { PLAN_IDS } from '@audit-trail/plans';
import { z } from 'zod';
import { uuidPipe } from '../accounts/accounts.controller';
import { OperatorOnly } from '../auth/decorators';
import { PlanService } from '../billing/plan.service';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { RetentionService } from '../retention/retention.service';

const setPlanSchema = z.strictObject({ plan: z.enum(PLAN_IDS), reason: z.string().max(500).optional() });
const retentionRunSchema = z.strictObject({ account_ids: z.array(z.uuid()).min(1).max(1000).optional() });

@Controller('v1/operator')
@OperatorOnly()
export class OperatorController {
  constructor(
    private readonly plans: PlanService,
    private readonly retention: RetentionService,
  ) {}

  @Put('accounts/:id/plan')
  @Doc({ summary: 'Set an account plan without Stripe (operators, self-hosting)', body: setPlanSchema, tag: 'Operator' })
  setPlan(@Param('id', uuidPipe) id: string, @Body() body: unknown) {
    const input = parseBody(setPlanSchema, body);
    return this.plans.setPlan(id, input.plan, { actorId: 'operator', actorName: 'Platform operator', reason: input.reason });
  }

  @Post('retention/run')
  @HttpCode(200)
  @Doc({ summary: 'Run the retention job now (optionally for some accounts) and answer what it purged, per account', body: retentionRunSchema, tag: 'Operator' })
  runRetention(@Body() body: unknown) {
    const input = parseBody(retentionRunSchema, body ?? {});
    return this.retention.runNow(input.account_ids);
  }
}
