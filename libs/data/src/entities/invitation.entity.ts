import { Entity, Unique, OptionalProps, Index, ManyToOne, PrimaryKey, Property, PrimaryKeyProp } from '@mikro-orm/core';
import { Account } from './account.entity';
import type { Role } from './membership.entity';

@Entity({ tableName: 'invitations' })
@Unique({ properties: ['account', 'tokenHash'] })
@Index({ properties: ['account', 'createdAt'] })
export class Invitation {
  [OptionalProps]?: 'workspaceIds' | 'invitedBy' | 'createdAt' | 'acceptedAt';
  [PrimaryKeyProp]?: ['account', 'id'];

  @ManyToOne(() => Account, { primary: true, mapToPk: true, deleteRule: 'cascade', fieldName: 'account_id', type: 'uuid' })
  account!: string;

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  email!: string;

  @Property({ type: 'text' })
  role!: Role;

  @Property({ type: 'text[]', default: '{}' })
  workspaceIds: string[] = [];

  @Property({ type: 'bytea', hidden: true })
  tokenHash!: Buffer;

  @Property({ type: 'uuid', nullable: true })
  invitedBy: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  acceptedAt: Date | null = null;
}
