import { BigIntType, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, PrimaryKeyProp } from '@mikro-orm/core';
import type { DestinationFilter, DestinationFormat, DestinationType } from '@audit-trail/audit-core';
import { Account } from './account.entity';

/**
 * A forwarding destination. Its cursor, (txid, event id) of the last event
 * it has taken, is the truth of what was delivered: the queue only nudges.
 * Secrets are stored encrypted (AES-256-GCM) and never returned.
 */
@Entity({ tableName: 'destinations' })
@Index({ properties: ['account', 'createdAt'] })
export class Destination {
  [OptionalProps]?: 'workspaceId' | 'enabled' | 'secretEnc' | 'previousSecretEnc' | 'previousSecretUntil' | 'cursorTxid' | 'cursorId' | 'failingSince' | 'failures' | 'nextAttemptAt' | 'lastDeliveredAt' | 'lastError' | 'disabledReason' | 'createdAt' | 'updatedAt' | 'deletedAt';
  [PrimaryKeyProp]?: ['account', 'id'];

  @ManyToOne(() => Account, { primary: true, mapToPk: true, deleteRule: 'cascade', fieldName: 'account_id', type: 'uuid' })
  account!: string;

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  type!: DestinationType;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  url!: string;

  @Property({ type: 'text' })
  format!: DestinationFormat;

  /** `account`: the account log; `workspace`: the log of workspaceId. */
  @Property({ type: 'text' })
  scope!: 'account' | 'workspace';

  @Property({ type: 'uuid', nullable: true })
  workspaceId: string | null = null;

  @Property({ type: 'jsonb' })
  filter!: DestinationFilter;

  @Property({ type: 'boolean', default: true })
  enabled: boolean = true;

  @Property({ type: 'text', nullable: true, hidden: true })
  secretEnc: string | null = null;

  /** The secret before the last rotation, still signed with until previousSecretUntil. */
  @Property({ type: 'text', nullable: true, hidden: true })
  previousSecretEnc: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  previousSecretUntil: Date | null = null;

  /** Position of the last event taken (delivered, or skipped by the filter). */
  @Property({ type: new BigIntType('string'), nullable: true })
  cursorTxid: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  cursorId: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  failingSince: Date | null = null;

  @Property({ type: 'integer', default: 0 })
  failures: number = 0;

  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastDeliveredAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'text', nullable: true })
  disabledReason: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  deletedAt: Date | null = null;
}

/** One delivery attempt: the ledger a tenant reads. */
@Entity({ tableName: 'destination_deliveries' })
@Index({ properties: ['destinationId', 'attemptedAt'] })
export class DestinationDelivery {
  [OptionalProps]?: 'destinationId' | 'firstEventId' | 'lastEventId' | 'statusCode' | 'error' | 'replayId' | 'test' | 'attemptedAt';
  [PrimaryKeyProp]?: ['account', 'id'];

  @PrimaryKey({ type: 'uuid', fieldName: 'account_id' })
  account!: string;

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** [account_id, destination_id]: the destination's own key. */
  @ManyToOne(() => Destination, { mapToPk: true, deleteRule: 'cascade', joinColumns: ['account_id', 'destination_id'] })
  destination!: [string, string];

  /** The destination_id half of `destination`, to read and filter by. */
  @Property({ type: 'uuid', fieldName: 'destination_id', persist: false })
  destinationId!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  attemptedAt: Date = new Date();

  @Property({ type: 'uuid', nullable: true })
  firstEventId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  lastEventId: string | null = null;

  @Property({ type: 'integer' })
  eventCount!: number;

  @Property({ type: 'integer', nullable: true })
  statusCode: number | null = null;

  @Property({ type: 'integer' })
  latencyMs!: number;

  @Property({ type: 'text', nullable: true })
  error: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  replayId: string | null = null;

  @Property({ type: 'boolean', default: false })
  test: boolean = false;
}

/** A re-delivery of a retained time range, worked through by the worker like the live stream. */
@Entity({ tableName: 'destination_replays' })
export class DestinationReplay {
  [OptionalProps]?: 'destinationId' | 'cursorOccurredAt' | 'cursorId' | 'status' | 'delivered' | 'createdAt' | 'completedAt' | 'error';
  [PrimaryKeyProp]?: ['account', 'id'];

  @PrimaryKey({ type: 'uuid', fieldName: 'account_id' })
  account!: string;

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** [account_id, destination_id]: the destination's own key. */
  @ManyToOne(() => Destination, { mapToPk: true, deleteRule: 'cascade', joinColumns: ['account_id', 'destination_id'] })
  destination!: [string, string];

  /** The destination_id half of `destination`, to read and filter by. */
  @Property({ type: 'uuid', fieldName: 'destination_id', persist: false })
  destinationId!: string;

  @Property({ type: 'timestamptz', fieldName: 'range_from' })
  from!: Date;

  @Property({ type: 'timestamptz', fieldName: 'range_to' })
  to!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  cursorOccurredAt: Date | null = null;

  @Property({ type: 'uuid', nullable: true })
  cursorId: string | null = null;

  @Property({ type: 'text', default: 'queued' })
  status: 'queued' | 'running' | 'completed' | 'failed' = 'queued';

  @Property({ type: 'integer', default: 0 })
  delivered: number = 0;

  @Property({ type: 'text', nullable: true })
  error: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  completedAt: Date | null = null;
}
