import { Database, DatabaseUnavailableError, isConnectionError } from './database';

/**
 * PostgreSQL streaming replicas for reads (DATABASE_REPLICA_URLS).
 *
 * Each process watches its replicas on a short timer: the primary's WAL
 * position (`pg_current_wal_lsn()`) and each replica's replayed position
 * (`pg_last_wal_replay_lsn()`). From those two it knows, without asking at
 * read time, whether a replica has replayed past a given write (read your
 * writes) and how far behind it is in time: the lag is how long ago the
 * primary was last at a position the replica has now replayed. A replica that
 * does not answer, is not in recovery, connects as a role that bypasses
 * row-level security, or is behind by more than `maxLagMs` is not chosen;
 * when none is usable every read goes to the primary.
 */
export interface ReplicaState {
  /** host:port/db, for metrics and logs (never the password). */
  name: string;
  up: boolean;
  /** Why it is not used, when it is not. */
  problem: string | null;
  replayLsn: bigint | null;
  lagMs: number | null;
  lagBytes: number | null;
}

interface Replica extends ReplicaState {
  db: Database;
  /** Refused for good (a role that bypasses row-level security, or not a standby). */
  refused: boolean;
}

export interface ReplicaSetOptions {
  maxLagMs?: number;
  pollMs?: number;
  poolSize?: number;
  /** Told once per change of a replica's state (up/down/refused), for the log. */
  onChange?: (s: ReplicaState) => void;
}

/** pg_lsn text ("16/B374D848") as a number of bytes. */
export function parseLsn(text: string | null | undefined): bigint | null {
  if (!text) return null;
  const m = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(text);
  if (!m) return null;
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function replicaName(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'replica';
  }
}

export class ReplicaSet {
  private readonly replicas: Replica[];
  /** The primary's position over the last while: [time, lsn], oldest first. */
  private readonly history: [number, bigint][] = [];
  private timer: NodeJS.Timeout | null = null;
  private next = 0;
  private polling: Promise<void> | null = null;
  readonly maxLagMs: number;
  readonly pollMs: number;

  constructor(
    private readonly primary: Database,
    urls: string[],
    private readonly o: ReplicaSetOptions = {},
  ) {
    this.maxLagMs = o.maxLagMs ?? 5000;
    this.pollMs = o.pollMs ?? 250;
    this.replicas = urls.map((url) => ({
      name: replicaName(url),
      db: new Database(url, o.poolSize ?? 10),
      up: false,
      problem: 'not checked yet',
      replayLsn: null,
      lagMs: null,
      lagBytes: null,
      refused: false,
    }));
  }

  get size(): number {
    return this.replicas.length;
  }

  /** Poll now and then every pollMs. Resolves after the first poll. */
  async start(): Promise<void> {
    if (!this.replicas.length) return;
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  /** One round: the primary's position, then every replica's. Never throws. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = null));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const now = Date.now();
    try {
      const lsn = await this.primaryLsn();
      if (lsn !== null) {
        const last = this.history[this.history.length - 1];
        if (!last || last[1] !== lsn) this.history.push([now, lsn]);
        else last[0] = now; // the primary has not moved: it was at this position until now
      }
    } catch {
      // The primary is down: replicas are judged on what is known; requests fail or not on their own.
    }
    // Forget what is older than any bound we judge by (keep one sample before it).
    const horizon = now - Math.max(this.maxLagMs * 4, 60_000);
    while (this.history.length > 1 && this.history[1][0] < horizon) this.history.shift();
    await Promise.all(this.replicas.map((r) => this.check(r, now)));
  }

  private async check(r: Replica, now: number): Promise<void> {
    if (r.refused) return;
    const was = { up: r.up, problem: r.problem };
    try {
      const { rows } = await r.db.withClient((c) =>
        c.query<{ replay: string | null; recovery: boolean; bypass: boolean }>(
          `SELECT pg_last_wal_replay_lsn()::text AS replay, pg_is_in_recovery() AS recovery,
                  (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS bypass`,
        ),
      );
      const row = rows[0];
      if (row.bypass) {
        r.refused = true;
        this.set(r, false, 'its role bypasses row-level security: give the application role (audit_app) in DATABASE_REPLICA_URLS');
      } else if (!row.recovery) {
        r.refused = true;
        this.set(r, false, 'it is not a standby (pg_is_in_recovery() is false)');
      } else {
        r.replayLsn = parseLsn(row.replay);
        r.lagMs = this.lagOf(r.replayLsn, now);
        const head = this.history[this.history.length - 1];
        r.lagBytes = head && r.replayLsn !== null ? Math.max(0, Number(head[1] - r.replayLsn)) : null;
        if (r.lagMs === null || r.lagMs > this.maxLagMs) this.set(r, false, `behind the primary by more than ${this.maxLagMs} ms`);
        else this.set(r, true, null);
      }
    } catch (err) {
      this.set(r, false, isConnectionError(err) || err instanceof DatabaseUnavailableError ? 'unreachable' : (err as Error).message);
    }
    if (was.up !== r.up || was.problem !== r.problem) this.o.onChange?.(this.state(r));
  }

  private set(r: Replica, up: boolean, problem: string | null): void {
    r.up = up;
    r.problem = problem;
  }

  /**
   * How long ago the primary was last at a position this replica has
   * replayed: 0 when it has replayed the newest position seen.
   */
  private lagOf(replay: bigint | null, now: number): number | null {
    if (replay === null || !this.history.length) return null;
    const head = this.history[this.history.length - 1];
    if (replay >= head[1]) return 0;
    // The first sample past what the replica has replayed: it has been behind since then.
    for (let i = this.history.length - 1; i >= 0; i--) {
      if (this.history[i][1] <= replay) {
        const firstAhead = this.history[i + 1];
        return now - firstAhead[0];
      }
    }
    return now - this.history[0][0] + this.maxLagMs; // behind everything we remember
  }

  /**
   * A usable replica that has replayed at least `minLsn` (round robin), or
   * null: read from the primary then.
   */
  pick(minLsn: bigint | null = null): Database | null {
    const n = this.replicas.length;
    for (let i = 0; i < n; i++) {
      const r = this.replicas[(this.next + i) % n];
      if (!r.up || r.replayLsn === null) continue;
      if (minLsn !== null && r.replayLsn < minLsn) continue;
      this.next = (this.next + i + 1) % n;
      return r.db;
    }
    return null;
  }

  /** A replica's read failed for want of a connection: stop choosing it until the next poll finds it well. */
  markDown(db: Database): void {
    const r = this.replicas.find((x) => x.db === db);
    if (r && r.up) {
      this.set(r, false, 'unreachable');
      this.o.onChange?.(this.state(r));
    }
  }

  /** Wait up to `ms` for a replica that has replayed `minLsn`; null when none did in time. */
  async waitFor(minLsn: bigint | null, ms: number): Promise<Database | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const db = this.pick(minLsn);
      if (db || Date.now() >= deadline || !this.replicas.length) return db;
      await new Promise((r) => setTimeout(r, Math.min(this.pollMs, 100)));
      await this.poll();
    }
  }

  states(): ReplicaState[] {
    return this.replicas.map((r) => this.state(r));
  }

  private state(r: Replica): ReplicaState {
    return { name: r.name, up: r.up, problem: r.problem, replayLsn: r.replayLsn, lagMs: r.lagMs, lagBytes: r.lagBytes };
  }

  /** The primary's current position: what a read that must see a write just made waits for. */
  async primaryLsn(): Promise<bigint | null> {
    const { rows } = await this.primary.withClient((c) => c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'));
    return parseLsn(rows[0]?.lsn);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling?.catch(() => undefined);
    await Promise.all(this.replicas.map((r) => r.db.close()));
  }
}

/**
 * Run a read on a replica when one is usable, else on the primary; a replica
 * that fails for want of a connection is marked down and the read runs again
 * on the primary, so no request fails because a replica did.
 */
export async function readOn<T>(set: ReplicaSet | null, primary: Database, minLsn: bigint | null, fn: (db: Database) => Promise<T>, seen?: (target: 'replica' | 'primary') => void): Promise<T> {
  const replica = set?.pick(minLsn) ?? null;
  if (replica) {
    try {
      const result = await fn(replica);
      seen?.('replica');
      return result;
    } catch (err) {
      if (!(isConnectionError(err) || err instanceof DatabaseUnavailableError || isRecoveryConflict(err))) throw err;
      set?.markDown(replica);
    }
  }
  const result = await fn(primary);
  seen?.('primary');
  return result;
}

/** A standby cancelled the query because replay needed what it was reading (SQLSTATE 40001 with that message). */
function isRecoveryConflict(err: unknown): boolean {
  const e = err as { code?: string; message?: string; cause?: unknown };
  return (e?.code === '40001' && /recovery/i.test(e.message ?? '')) || (e?.cause !== undefined && e.cause !== err && isRecoveryConflict(e.cause));
}
