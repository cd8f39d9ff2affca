import { Entity, Unique, OptionalProps, Index, ManyToOne, PrimaryKey, Property, PrimaryKeyProp } from '@mikro-orm/core';
import { Account } from './account.entity';

export const API_KEY_SCOPES = ['events:write', 'events:read', 'exports:write', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** An API key. The secret is shown once; only its SHA-256 is stored. */
@Entity({ tableName: 'api_keys' })
@Unique({ properties: ['account', 'keyHash'] })
@Index({ properties: ['account', 'createdAt'] })
export class ApiKey {
  [OptionalProps]?: 'workspaceId' | 'createdBy' | 'createdAt' | 'lastUsedAt' | 'rotatedAt' | 'revokedAt' | 'revokedBy';
  [PrimaryKeyProp]?: ['account', 'id'];

  @ManyToOne(() => Account, { primary: true, mapToPk: true, deleteRule: 'cascade', fieldName: 'account_id', type: 'uuid' })
  account!: string;

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  name!: string;

  /** First characters of the key, shown in lists so people can tell keys apart. */
  @Property({ type: 'text' })
  prefix!: string;

  @Property({ type: 'bytea', hidden: true })
  keyHash!: Buffer;

  @Property({ type: 'text[]' })
  scopes!: ApiKeyScope[];

  @Property({ type: 'uuid', nullable: true })
  workspaceId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  createdBy: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  rotatedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  /** Who revoked it: a person's user id, or the id of the key that did. */
  @Property({ type: 'uuid', nullable: true })
  revokedBy: string | null = null;
}
