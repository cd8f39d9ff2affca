import { Body, Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { DEFAULT_PLAN, PLAN_IDS } from '@audit-trail/plans';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Public, RequiresScope } from '../auth/decorators';
import { CurrentPrincipal, Meta, type Principal, type RequestMeta } from '../common/principal';
import { parseBody } from '../common/zod';
import { Doc } from '../openapi/doc.decorator';
import { BillingService } from './billing.service';
import { ReadAuditService } from '../self-audit/read-audit.service';

const checkoutSchema = z.strictObject({
  plan: z.enum(PLAN_IDS).refine((p) => p !== DEFAULT_PLAN, 'is not sold; choose a paid plan'),
  interval: z.enum(['month', 'year']).default('month'),
});

/** Stripe billing. In BILLING_MODE=static every route here answers like an unknown route. */
@Controller('v1/billing')
export class BillingController {
  constructor(
    private readonly billing: BillingService,
    private readonly reads: ReadAuditService,
  ) {}

  @Post('checkout')
  @RequiresScope('admin')
  @HttpCode(200)
  @Doc({ summary: 'Start a Stripe Checkout for a plan; answers the URL to send the browser to', body: checkoutSchema, tag: 'Billing' })
  async checkout(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Meta() meta: RequestMeta) {
    const input = parseBody(checkoutSchema, body);
    const r = await this.billing.checkout(p, input.plan, input.interval);
    await this.reads.note(p, meta, 'billing.checkout_started', { metadata: { plan: input.plan, interval: input.interval } });
    return r;
  }

  @Post('portal')
  @RequiresScope('admin')
  @HttpCode(200)
  @Doc({ summary: 'Open the Stripe customer portal (manage or cancel the subscription)', tag: 'Billing' })
  async portal(@CurrentPrincipal() p: Principal, @Meta() meta: RequestMeta) {
    const r = await this.billing.portal(p);
    await this.reads.note(p, meta, 'billing.portal_opened');
    return r;
  }

  @Post('webhooks/stripe')
  @Public()
  @HttpCode(200)
  @Doc({ summary: 'Stripe webhook endpoint (signature checked against the raw body)', tag: 'Billing' })
  webhook(@Req() req: RawBodyRequest<FastifyRequest>, @Headers('stripe-signature') signature?: string) {
    return this.billing.webhook(req.rawBody, signature);
  }
}
