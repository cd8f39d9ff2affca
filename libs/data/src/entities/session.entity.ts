import { Entity, Unique, OptionalProps, ManyToOne, PrimaryKey, Property, PrimaryKeyProp } from '@mikro-orm/core';
import { Account } from './account.entity';
import { User } from './user.entity';

/** A console session. Only the SHA-256 of the cookie value is stored. */
@Entity({ tableName: 'sessions' })
@Unique({ properties: ['account', 'tokenHash'] })
export class Session {
  [OptionalProps]?: 'ip' | 'userAgent' | 'createdAt' | 'lastSeenAt' | 'authMethod';
  [PrimaryKeyProp]?: ['account', 'id'];

  @ManyToOne(() => Account, { primary: true, mapToPk: true, deleteRule: 'cascade', fieldName: 'account_id', type: 'uuid', index: true })
  account!: string;

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'bytea', hidden: true })
  tokenHash!: Buffer;

  @ManyToOne(() => User, { mapToPk: true, deleteRule: 'cascade', fieldName: 'user_id', type: 'uuid', index: true })
  user!: string;

  @Property({ type: 'text', hidden: true })
  csrfToken!: string;

  @Property({ type: 'text', nullable: true })
  ip: string | null = null;

  @Property({ type: 'text', nullable: true })
  userAgent: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  /** Updated at most once a minute while the session is used. */
  @Property({ type: 'timestamptz', nullable: true })
  lastSeenAt: Date | null = null;

  /** How the session began: a password (with or without a second factor) or single sign-on. */
  @Property({ type: 'text', default: 'password' })
  authMethod: 'password' | 'sso' = 'password';
}
