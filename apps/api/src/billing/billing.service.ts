import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AppConfig } from '@audit-trail/config';
import { Account, accountForStripe, claimStripeEvent, Database, emExecutor, setStripeEventOutcome, TenantOrm } from '@audit-trail/data';
import { type PlanId, planFromLookupKey, planOrFree } from '@audit-trail/plans';
import Stripe from 'stripe';
import { AppError, ErrorCode, RouteHiddenError } from '../common/errors';
import type { Principal } from '../common/principal';
import { CONFIG } from '../core/tokens';
import { SelfAuditService } from '../self-audit/self-audit.service';
import { PlanService } from './plan.service';
import { PrincipalResolver } from '../auth/principal.resolver';

/** What a Stripe event means for an account's plan. */
type Decision = { kind: 'plan'; plan: PlanId } | { kind: 'keep'; why: string } | { kind: 'ignore'; why: string };

const FALLS_TO_FREE = new Set(['canceled', 'unpaid', 'incomplete_expired']);
const KEEPS_PLAN = new Set(['past_due', 'incomplete', 'paused']);
const STRIPE_ACTOR = { actorId: 'stripe', actorName: 'Stripe billing' };

const idOf = (v: string | { id: string } | null | undefined): string | null => (typeof v === 'string' ? v : (v?.id ?? null));

/** The plan a subscription stands for, from its price's lookup key. */
export function decideSubscription(sub: Stripe.Subscription, deleted: boolean): Decision {
  if (deleted || FALLS_TO_FREE.has(sub.status)) return { kind: 'plan', plan: 'free' };
  if (KEEPS_PLAN.has(sub.status)) return { kind: 'keep', why: `subscription ${sub.status}: Stripe is still collecting` };
  const lookupKey = sub.items?.data?.[0]?.price?.lookup_key ?? null;
  const plan = planFromLookupKey(lookupKey);
  if (!plan) return { kind: 'ignore', why: `price lookup_key ${JSON.stringify(lookupKey)} names no plan` };
  return { kind: 'plan', plan };
}

@Injectable()
export class BillingService {
  private readonly logger = new Logger(BillingService.name);
  private readonly stripe: Stripe | null;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    private readonly tenant: TenantOrm,
    private readonly db: Database,
    private readonly plans: PlanService,
    private readonly audit: SelfAuditService,
    private readonly resolver: PrincipalResolver,
  ) {
    this.stripe =
      config.BILLING_MODE === 'stripe' && config.STRIPE_SECRET_KEY
        ? new Stripe(config.STRIPE_SECRET_KEY, {
            host: config.STRIPE_API_HOST,
            port: config.STRIPE_API_PORT,
            protocol: config.STRIPE_API_PROTOCOL,
            maxNetworkRetries: 1,
            timeout: 10_000,
          })
        : null;
  }

  /** Billing routes exist only in Stripe mode; in static mode they are unknown routes. */
  private client(): Stripe {
    if (!this.stripe) throw new RouteHiddenError();
    return this.stripe;
  }

  private publicUrl(): string {
    return (this.config.PUBLIC_URL ?? `http://localhost:${this.config.PORT}`).replace(/\/$/, '');
  }

  async checkout(p: Principal, plan: PlanId, interval: 'month' | 'year') {
    const stripe = this.client();
    const account = await this.tenant.run(p.accountId, (em) => em.findOneOrFail(Account, { id: p.accountId }));
    const lookupKey = `${plan}_${interval === 'year' ? 'yearly' : 'monthly'}`;
    const prices = await stripe.prices.list({ lookup_keys: [lookupKey], active: true, limit: 1 });
    const price = prices.data[0];
    if (!price) throw new AppError(ErrorCode.Conflict, `No active Stripe price has the lookup key ${lookupKey}; create it in Stripe first.`);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      client_reference_id: account.id,
      subscription_data: { metadata: { account_id: account.id } },
      metadata: { account_id: account.id },
      ...(account.stripeCustomerId ? { customer: account.stripeCustomerId } : p.email ? { customer_email: p.email } : {}),
      success_url: `${this.publicUrl()}/billing?checkout=success`,
      cancel_url: `${this.publicUrl()}/billing?checkout=cancelled`,
    });
    if (!session.url) throw new AppError(ErrorCode.Unavailable, 'Stripe returned no checkout URL; try again.');
    return { url: session.url };
  }

  async portal(p: Principal) {
    const stripe = this.client();
    const account = await this.tenant.run(p.accountId, (em) => em.findOneOrFail(Account, { id: p.accountId }));
    if (!account.stripeCustomerId) throw new AppError(ErrorCode.Conflict, 'This account has no Stripe subscription yet; start one with checkout.');
    const session = await stripe.billingPortal.sessions.create({ customer: account.stripeCustomerId, return_url: `${this.publicUrl()}/billing` });
    return { url: session.url };
  }

  /** Verify, de-duplicate and apply one webhook delivery. */
  async webhook(rawBody: Buffer | undefined, signature: string | undefined) {
    const stripe = this.client();
    if (!rawBody || !signature) throw new AppError(ErrorCode.Malformed, 'Missing body or Stripe-Signature header.');
    let event: Stripe.Event;
    try {
      event = stripe.webhooks.constructEvent(rawBody, signature, this.config.STRIPE_WEBHOOK_SECRET as string);
    } catch (err) {
      throw new AppError(ErrorCode.Malformed, `Stripe signature verification failed: ${(err as Error).message}`);
    }
    const created = new Date(event.created * 1000);
    const { accountHint, customer, subscription, decision, informational } = this.interpret(event);
    const accountId = await this.findAccount(accountHint, customer);
    if (!accountId) {
      this.logger.warn(`stripe event ${event.id} (${event.type}) names no known account; ignored`);
      const fresh = await this.remember(event, null, created, 'ignored: unknown account');
      return { received: true, duplicate: !fresh, outcome: 'ignored: unknown account' };
    }
    const result = await this.tenant.run(accountId, async (em) => {
      const fresh = await claimStripeEvent(emExecutor(em), { id: event.id, type: event.type, accountId, createdAt: created });
      if (!fresh) return { received: true, duplicate: true, outcome: 'duplicate' };
      const account = await em.findOneOrFail(Account, { id: accountId });
      let outcome = 'applied';
      if (customer && !account.stripeCustomerId) {
        // A Stripe customer belongs to one account; never move it silently.
        const owner = await this.findAccount(null, customer);
        if (owner && owner !== accountId) {
          this.logger.warn(`stripe event ${event.id}: customer ${customer} already belongs to another account; not linked`);
        } else {
          account.stripeCustomerId = customer;
        }
      }
      if (informational) {
        outcome = await this.informational(em, account, event);
      } else if (account.stripeStateAt && created < account.stripeStateAt && decision.kind === 'plan') {
        outcome = 'stale: a newer event was already applied';
      } else if (decision.kind === 'plan') {
        if (subscription) account.stripeSubscriptionId = decision.plan === 'free' ? null : subscription;
        account.stripeStateAt = created;
        await em.flush();
        await this.plans.applyPlan(em, account, decision.plan, { ...STRIPE_ACTOR, reason: event.type, metadata: { stripe_event_id: event.id } });
      } else {
        if (subscription && !account.stripeSubscriptionId) account.stripeSubscriptionId = subscription;
        outcome = `${decision.kind}: ${decision.why}`;
        if (decision.kind === 'ignore') this.logger.warn(`stripe event ${event.id}: ${decision.why}`);
      }
      await em.flush();
      await setStripeEventOutcome(emExecutor(em), event.id, outcome);
      return { received: true, duplicate: false, outcome, plan: planOrFree(account.plan).id };
    });
    this.resolver.forgetKeys();
    return result;
  }

  private interpret(event: Stripe.Event): {
    accountHint: string | null;
    customer: string | null;
    subscription: string | null;
    decision: Decision;
    informational: boolean;
  } {
    switch (event.type) {
      case 'checkout.session.completed': {
        const s = event.data.object;
        return {
          accountHint: s.client_reference_id ?? s.metadata?.account_id ?? null,
          customer: idOf(s.customer),
          subscription: idOf(s.subscription),
          decision: { kind: 'keep', why: 'checkout completed; the plan follows the subscription events' },
          informational: false,
        };
      }
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const sub = event.data.object;
        return {
          accountHint: sub.metadata?.account_id ?? null,
          customer: idOf(sub.customer),
          subscription: sub.id,
          decision: decideSubscription(sub, event.type === 'customer.subscription.deleted'),
          informational: false,
        };
      }
      case 'entitlements.active_entitlement_summary.updated': {
        const summary = event.data.object;
        const keys = summary.entitlements?.data?.map((e) => e.lookup_key) ?? [];
        const plan = keys.map((k) => planFromLookupKey(k)).find((x) => x !== null) ?? null;
        return {
          accountHint: null,
          customer: idOf(summary.customer),
          subscription: null,
          decision: plan ? { kind: 'plan', plan } : { kind: 'ignore', why: `entitlements ${JSON.stringify(keys)} name no plan` },
          informational: false,
        };
      }
      case 'invoice.paid':
      case 'invoice.payment_failed': {
        const inv = event.data.object;
        return {
          accountHint: inv.parent?.subscription_details?.metadata?.account_id ?? inv.metadata?.account_id ?? null,
          customer: idOf(inv.customer),
          subscription: null,
          decision: { kind: 'keep', why: event.type },
          informational: true,
        };
      }
      default:
        return { accountHint: null, customer: null, subscription: null, decision: { kind: 'ignore', why: `unhandled type ${event.type}` }, informational: false };
    }
  }

  /** Invoices change no plan (subscription events do); a failed payment is worth an entry in the log. */
  private async informational(em: EntityManager, account: Account, event: Stripe.Event): Promise<string> {
    if (event.type === 'invoice.payment_failed') {
      const inv = event.data.object;
      await this.audit.record(emExecutor(em), {
        accountId: account.id,
        plan: planOrFree(account.plan).id,
        action: 'billing.payment_failed',
        actor: { kind: 'system', id: STRIPE_ACTOR.actorId, name: STRIPE_ACTOR.actorName },
        outcome: 'failure',
        target: { type: 'invoice', id: inv.id ?? undefined },
        metadata: { stripe_event_id: event.id, amount_due: inv.amount_due, currency: inv.currency, attempt_count: inv.attempt_count },
      });
      return 'recorded: payment failed; the plan stays while Stripe retries';
    }
    return 'recorded: invoice paid';
  }

  private async findAccount(hint: string | null, customer: string | null): Promise<string | null> {
    const uuid = hint && /^[0-9a-f-]{36}$/i.test(hint) ? hint : null;
    if (!uuid && !customer) return null;
    return accountForStripe(this.db, uuid, customer);
  }

  private remember(event: Stripe.Event, accountId: string | null, created: Date, outcome: string): Promise<boolean> {
    return this.db.withClient((c) => claimStripeEvent(c, { id: event.id, type: event.type, accountId, createdAt: created, outcome }));
  }


}

