import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** A person who signs in. Users are global; what they may see comes from memberships. */
@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?: 'name' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** Stored lower-cased; unique. */
  @Property({ type: 'text', unique: true })
  email!: string;

  @Property({ type: 'text', nullable: true })
  name: string | null = null;

  /** Argon2id hash (PHC string). */
  @Property({ type: 'text', hidden: true })
  passwordHash!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
