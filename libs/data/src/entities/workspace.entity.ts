import { Entity, OptionalProps, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Account } from './account.entity';

@Entity({ tableName: 'workspaces' })
@Index({ properties: ['account', 'createdAt'] })
export class Workspace {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => Account, { mapToPk: true, deleteRule: 'cascade', fieldName: 'account_id', type: 'uuid' })
  account!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
