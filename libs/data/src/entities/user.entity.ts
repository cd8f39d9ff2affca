import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** A person who signs in. Users are global; what they may see comes from memberships. */
@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?: 'name' | 'createdAt' | 'totpSecret' | 'totpPendingSecret' | 'totpEnabledAt' | 'totpLastStep';

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

  /** The TOTP secret, encrypted (SecretBox); in use once totpEnabledAt is set. */
  @Property({ type: 'text', nullable: true, hidden: true })
  totpSecret: string | null = null;

  /** A secret being set up, encrypted, until the first code confirms it. */
  @Property({ type: 'text', nullable: true, hidden: true })
  totpPendingSecret: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  totpEnabledAt: Date | null = null;

  /** The last time step a code was accepted for: no code works twice. */
  @Property({ type: 'bigint', nullable: true, hidden: true })
  totpLastStep: string | null = null;
}
