import { Entity, OptionalProps, ManyToOne, PrimaryKey, Property, Unique, PrimaryKeyProp } from '@mikro-orm/core';
import { Account } from './account.entity';
import { User } from './user.entity';

export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

@Entity({ tableName: 'memberships' })
@Unique({ properties: ['account', 'user'] })
export class Membership {
  [OptionalProps]?: 'workspaceIds' | 'createdAt' | 'scimExternalId' | 'deactivatedAt';
  [PrimaryKeyProp]?: ['account', 'id'];

  @ManyToOne(() => Account, { primary: true, mapToPk: true, deleteRule: 'cascade', fieldName: 'account_id', type: 'uuid' })
  account!: string;

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => User, { mapToPk: true, deleteRule: 'cascade', fieldName: 'user_id', type: 'uuid', index: true })
  user!: string;

  @Property({ type: 'text' })
  role!: Role;

  /** Workspaces where a `member` is admin. */
  @Property({ type: 'text[]', default: '{}' })
  workspaceIds: string[] = [];

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  /** The identity provider's id for this person (SCIM externalId). */
  @Property({ type: 'text', nullable: true })
  scimExternalId: string | null = null;

  /** Deactivated by SCIM (`active: false`): kept on record, signs in nowhere in this account. */
  @Property({ type: 'timestamptz', nullable: true })
  deactivatedAt: Date | null = null;
}
