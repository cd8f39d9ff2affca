import { Body, Controller, Param, Put } from '@nestjs/common';
import { PLAN_IDS } from '@audit-trail/plans';
import { z } from 'zod';
import { uuidPipe } from '../accounts/accounts.controller';
import { OperatorOnly } from '../auth/decorators';
import { PlanService } from '../billing/plan.service';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';

const setPlanSchema = z.strictObject({ plan: z.enum(PLAN_IDS), reason: z.string().max(500).optional() });

@Controller('v1/operator')
@OperatorOnly()
export class OperatorController {
  constructor(private readonly plans: PlanService) {}

  @Put('accounts/:id/plan')
  @Doc({ summary: 'Set an account plan without Stripe (operators, self-hosting)', body: setPlanSchema, tag: 'Operator' })
  setPlan(@Param('id', uuidPipe) id: string, @Body() body: unknown) {
    const input = parseBody(setPlanSchema, body);
    return this.plans.setPlan(id, input.plan, { actorId: 'operator', actorName: 'Platform operator', reason: input.reason });
  }
}
