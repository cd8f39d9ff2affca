import { BigIntType, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, PrimaryKeyProp } from '@mikro-orm/core';
import { Account } from './account.entity';
import type { EventFilter } from '@audit-trail/audit-core';
import type { LogSelector } from '../repositories/event.repository';

import type { EXPORT_FORMATS } from '@audit-trail/audit-core';
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_STATUSES = ['queued', 'running', 'completed', 'failed', 'expired'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** The export's filters as stored at request time (from/to resolved). */
export interface StoredExportFilters extends Omit<EventFilter, 'scope' | 'workspace_id'> {
  log: LogSelector;
  from: string;
  to: string;
  /** Events received after the request are not part of it: retries produce the same file. */
  requested_at: string;
}

/** An export of one log. The job only points here; progress lives in PostgreSQL. */
@Entity({ tableName: 'exports' })
@Index({ properties: ['account', 'createdAt'] })
export class Export {
  [OptionalProps]?: 'workspaceId' | 'status' | 'progress' | 'rowCount' | 'bytes' | 'fileKey' | 'sha256' | 'error' | 'requestedBy' | 'createdAt' | 'startedAt' | 'completedAt' | 'expiresAt' | 'attempts' | 'gzip' | 'manifestKey';
  [PrimaryKeyProp]?: ['account', 'id'];

  @ManyToOne(() => Account, { primary: true, mapToPk: true, deleteRule: 'cascade', fieldName: 'account_id', type: 'uuid' })
  account!: string;

  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** `account` or `workspace`; with workspaceIds null = every workspace. */
  @Property({ type: 'text' })
  scope!: 'account' | 'workspace';

  @Property({ type: 'uuid', nullable: true })
  workspaceId: string | null = null;

  @Property({ type: 'text' })
  format!: ExportFormat;

  @Property({ type: 'boolean', default: false })
  gzip: boolean = false;

  /** The query filters, with from/to resolved at request time. */
  @Property({ type: 'jsonb' })
  filters!: StoredExportFilters;

  @Property({ type: 'text', default: 'queued' })
  status: ExportStatus = 'queued';

  @Property({ type: 'double', default: 0 })
  progress: number = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  rowCount: number = 0;

  @Property({ type: new BigIntType('number'), default: 0 })
  bytes: number = 0;

  @Property({ type: 'text', nullable: true })
  fileKey: string | null = null;

  /** The signed manifest beside the file (accounts with integrity proofs). */
  @Property({ type: 'text', nullable: true })
  manifestKey: string | null = null;

  @Property({ type: 'text', nullable: true })
  sha256: string | null = null;

  @Property({ type: 'text', nullable: true })
  error: string | null = null;

  /** Who asked: `user:<id>` or `api_key:<id>`. */
  @Property({ type: 'text', nullable: true })
  requestedBy: string | null = null;

  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  startedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  completedAt: Date | null = null;

  /** When the file is deleted (and the export becomes `expired`). */
  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;
}
