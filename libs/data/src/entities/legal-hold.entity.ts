import { Check, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, PrimaryKeyProp } from '@mikro-orm/core';
import { Account } from './account.entity';

export const LEGAL_HOLD_SCOPES = ['account', 'workspace'] as const;
export type LegalHoldScope = (typeof LEGAL_HOLD_SCOPES)[number];

/**
 * A legal hold: while it is active (not released), retention deletes nothing
 * in its scope. Released holds are kept as a record of who held what, when.
 */
@Entity({ tableName: 'legal_holds' })
@Index({ properties: ['account', 'releasedAt'] })
@Check({ name: 'legal_holds_scope_check', expression: "((scope = 'account'::text) AND (workspace_id IS NULL)) OR ((scope = 'workspace'::text) AND (workspace_id IS NOT NULL))" })
export class LegalHold {
  [OptionalProps]?: 'workspaceId' | 'createdAt' | 'releasedAt' | 'releasedBy';
  [PrimaryKeyProp]?: ['account', 'id'];

  @ManyToOne(() => Account, { primary: true, mapToPk: true, deleteRule: 'cascade', fieldName: 'account_id', type: 'uuid' })
  account!: string;

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  scope!: LegalHoldScope;

  /** With scope `workspace`: the workspace held. */
  @Property({ type: 'uuid', nullable: true })
  workspaceId: string | null = null;

  @Property({ type: 'text' })
  reason!: string;

  /** The user who placed it. */
  @Property({ type: 'uuid' })
  createdBy!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  releasedAt: Date | null = null;

  @Property({ type: 'uuid', nullable: true })
  releasedBy: string | null = null;
}
