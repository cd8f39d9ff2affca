import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Every Stripe event the webhook accepted, by Stripe's event id: a replayed
 * delivery finds its id here and changes nothing. Platform-level (an event
 * may name no known account), so not row-level secured.
 */
@Entity({ tableName: 'stripe_events' })
export class StripeEvent {
  [OptionalProps]?: 'accountId' | 'receivedAt' | 'outcome';

  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'uuid', nullable: true })
  accountId: string | null = null;

  /** Stripe's `created` of the event. */
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  receivedAt: Date = new Date();

  /** What the platform did with it: applied, stale, ignored (and why). */
  @Property({ type: 'text', default: 'applied' })
  outcome: string = 'applied';
}
