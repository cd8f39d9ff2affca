import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { Gauge } from 'prom-client';
import type { AppConfig } from '@audit-trail/config';
import { Database, formatLsn, parseLsn, readOn, ReplicaSet, type ReplicaState, type TenantOptions } from '@audit-trail/data';
import type { RedisClient } from '@audit-trail/queues';
import { MetricsService } from './metrics.service';
import { CONFIG, REDIS } from './tokens';

/** Whose writes a read must see: an API key or a person (across their sessions). */
export interface Writer {
  apiKeyId: string | null;
  userId: string | null;
}

/**
 * Where the log's reads go: a streaming replica (DATABASE_REPLICA_URLS) when
 * one is usable, the primary otherwise.
 *
 * Read your writes: after a principal's request that changed something, the
 * primary's WAL position is kept as that principal's fence, in Redis (so every
 * api process sees it) and in this process. Its reads then go only to a
 * replica that has replayed past the fence, or to the primary. A fence lives
 * long enough that any replica still in use has replayed it by then
 * (4 × REPLICA_MAX_LAG_MS, at least a minute). Without replicas none of this
 * runs: no fence is taken and every read goes to the primary.
 */
@Injectable()
export class ReadRouter implements OnApplicationShutdown {
  private readonly log = new Logger('replicas');
  readonly replicas: ReplicaSet | null;
  private readonly fenceMs: number;
  private readonly local = new Map<string, { lsn: bigint; until: number }>();
  private readonly prefix: string;

  constructor(
    private readonly db: Database,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(CONFIG) config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.prefix = `${config.QUEUE_PREFIX}:fence`;
    this.fenceMs = Math.max(60_000, 4 * config.REPLICA_MAX_LAG_MS);
    const urls = config.DATABASE_REPLICA_URLS ?? [];
    this.replicas = urls.length
      ? new ReplicaSet(db, urls, {
          maxLagMs: config.REPLICA_MAX_LAG_MS,
          pollMs: config.REPLICA_POLL_MS,
          poolSize: config.DB_POOL_SIZE,
          onChange: (s) => (s.up ? this.log.log(`replica ${s.name} in use`) : this.log.warn(`replica ${s.name} not used: ${s.problem}`)),
        })
      : null;
    if (this.replicas) {
      const set = this.replicas;
      const gauges: [name: string, help: string, value: (s: ReplicaState) => number | null][] = [
        ['audit_db_replica_up', 'Whether a read replica is in use (1) or skipped (0)', (s) => (s.up ? 1 : 0)],
        ['audit_db_replica_lag_seconds', 'How far a read replica is behind the primary, in time', (s) => (s.lagMs === null ? null : s.lagMs / 1000)],
        ['audit_db_replica_lag_bytes', 'How far a read replica is behind the primary, in WAL bytes', (s) => s.lagBytes],
      ];
      for (const [name, help, value] of gauges) {
        new Gauge({
          name,
          help,
          labelNames: ['replica'] as const,
          registers: [metrics.registry],
          collect() {
            for (const s of set.states()) {
              const v = value(s);
              if (v !== null) this.set({ replica: s.name }, v);
            }
          },
        });
      }
      void set.start();
    }
  }

  /**
   * Run a read of one tenant's log where it may run: a replica that has
   * replayed the writer's last write, else the primary. A replica failing
   * mid-read is skipped and the read runs on the primary.
   */
  async tenant<T>(writer: Writer | null, accountId: string, fn: (client: PoolClient) => Promise<T>, o: TenantOptions = {}): Promise<T> {
    if (!this.replicas) return this.db.tenant(accountId, fn, o);
    const fence = await this.fenceOf(writer);
    if (fence === undefined) {
      this.metrics.dbReads.inc({ target: 'primary' });
      return this.db.tenant(accountId, fn, o);
    }
    return readOn(this.replicas, this.db, fence, (db) => db.tenant(accountId, fn, o), (target) => this.metrics.dbReads.inc({ target }));
  }

  /** A whole job of reads (a verification) on one database: a replica past the writer's fence, or the primary. */
  async read<T>(writer: Writer | null, fn: (db: Database) => Promise<T>): Promise<T> {
    if (!this.replicas) return fn(this.db);
    const fence = await this.fenceOf(writer);
    if (fence === undefined) {
      this.metrics.dbReads.inc({ target: 'primary' });
      return fn(this.db);
    }
    return readOn(this.replicas, this.db, fence, fn, (target) => this.metrics.dbReads.inc({ target }));
  }

  /** Record that this writer has just changed something: its next reads must see it. */
  async fence(writer: Writer): Promise<void> {
    if (!this.replicas) return;
    const who = whoOf(writer);
    if (!who) return;
    const lsn = await this.replicas.primaryLsn().catch(() => null);
    if (lsn === null) return;
    this.local.set(who, { lsn, until: Date.now() + this.fenceMs });
    if (this.local.size > 10_000) this.pruneLocal();
    await this.redis.set(`${this.prefix}:${who}`, formatLsn(lsn), 'PX', this.fenceMs).catch(() => undefined);
  }

  /**
   * The position a read by this writer must see: null when there is none, or
   * undefined when it cannot be known (Redis down): read from the primary then.
   */
  private async fenceOf(writer: Writer | null): Promise<bigint | null | undefined> {
    const who = writer ? whoOf(writer) : null;
    if (!who) return null;
    const mine = this.local.get(who);
    const here = mine && mine.until > Date.now() ? mine.lsn : null;
    let shared: bigint | null;
    try {
      shared = parseLsn(await this.redis.get(`${this.prefix}:${who}`));
    } catch {
      return undefined;
    }
    if (here === null) return shared;
    if (shared === null) return here;
    return here > shared ? here : shared;
  }

  private pruneLocal(): void {
    const now = Date.now();
    for (const [k, v] of this.local) if (v.until <= now) this.local.delete(k);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.replicas?.close();
  }
}

function whoOf(w: Writer): string | null {
  if (w.apiKeyId) return `k:${w.apiKeyId}`;
  if (w.userId) return `u:${w.userId}`;
  return null;
}
