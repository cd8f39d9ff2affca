import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'accounts' })
export class Account {
  [OptionalProps]?: 'plan' | 'planChangedAt' | 'previousRetentionDays' | 'retentionGraceUntil' | 'everLicensed' | 'stripeCustomerId' | 'stripeSubscriptionId' | 'stripeStateAt' | 'createdAt' | 'requireMfa' | 'requireSso';

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  name!: string;

  /** Plan id from libs/plans; `free` at signup. */
  @Property({ type: 'text', default: 'free' })
  plan: string = 'free';

  @Property({ type: 'timestamptz', nullable: true })
  planChangedAt: Date | null = null;

  /** Retention that applied before a downgrade, kept until the grace ends. */
  @Property({ type: 'integer', nullable: true })
  previousRetentionDays: number | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  retentionGraceUntil: Date | null = null;

  /** True once the account has had a plan with the audit log. */
  @Property({ type: 'boolean', default: false })
  everLicensed: boolean = false;

  @Property({ type: 'text', nullable: true, unique: true })
  stripeCustomerId: string | null = null;

  @Property({ type: 'text', nullable: true })
  stripeSubscriptionId: string | null = null;

  /** `created` time of the newest Stripe event applied; older ones never overwrite it. */
  @Property({ type: 'timestamptz', nullable: true })
  stripeStateAt: Date | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  /** Every password user of the account must sign in with a second factor. */
  @Property({ type: 'boolean', default: false })
  requireMfa: boolean = false;

  /** Members must sign in with single sign-on; owners keep password and second factor as the way back in. */
  @Property({ type: 'boolean', default: false })
  requireSso: boolean = false;
}
