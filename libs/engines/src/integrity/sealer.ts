import { type CheckpointBody, checkpointHash, LEAF_VERSION, leafHash, MerkleFrontier, newId, normalizeEvent, toApiEvent } from '@audit-trail/audit-core';
import { hasEntitlement, planOrFree } from '@audit-trail/plans';
import type { PoolClient } from 'pg';
import {
  type Database,
  eventsAfter,
  insertAnomalies,
  insertCheckpoint,
  insertLeaves,
  integrityAccounts,
  type IntegrityLogRow,
  lockIntegrityLog,
  readAccountPlan,
  saveIntegrityLog,
  workspaceIdsOf,
} from '@audit-trail/data';
import { writePlatformEvents } from '../events/event-writer';
import { type SigningKey, signCheckpoint } from './signing';

/** One log: the account log (workspaceId null) or one workspace's. Its id is the account id or the workspace id. */
export interface LogRef {
  accountId: string;
  workspaceId: string | null;
}
export const logIdOf = (r: LogRef) => r.workspaceId ?? r.accountId;

export interface SealOptions {
  now?: Date;
  /** A log with new leaves gets a checkpoint once its last one is this old (so at least once a minute while events arrive). */
  checkpointEveryMs?: number;
  /** A quiet log still gets a checkpoint this often, so a gap is provable. */
  quietCheckpointMs?: number;
  /**
   * An event claiming a receipt this long before the previous sealing round
   * was written into the past: it is not sealed but recorded as an anomaly,
   * which verification reports. Must exceed the longest commit delay.
   */
  lateSlackMs?: number;
  batch?: number;
}

type LogRow = IntegrityLogRow;

export interface SealResult {
  sealed: number;
  anomalies: number;
  checkpoint: boolean;
}

/** Write a signed checkpoint of a log's current tree (inside the caller's tenant transaction, the log row locked). */
export async function writeCheckpoint(c: PoolClient, key: SigningKey, ref: LogRef, log: LogRow, frontier: MerkleFrontier, now: Date, purgeBefore: Date | null = null): Promise<CheckpointBody> {
  const body: CheckpointBody = {
    log_id: logIdOf(ref),
    account_id: ref.accountId,
    workspace_id: ref.workspaceId,
    tree_size: frontier.size,
    root_hash: frontier.root().toString('hex'),
    timestamp: now.toISOString(),
    previous_hash: log.last_checkpoint_hash,
    key_id: key.keyId,
    ...(purgeBefore ? { purge_before: purgeBefore.toISOString() } : {}),
  };
  const hash = checkpointHash(body);
  await insertCheckpoint(c, {
    id: newId(),
    logId: body.log_id,
    accountId: ref.accountId,
    workspaceId: ref.workspaceId,
    treeSize: body.tree_size,
    rootHash: body.root_hash,
    createdAt: now,
    previousHash: body.previous_hash,
    hash,
    keyId: key.keyId,
    signature: signCheckpoint(key, body),
    purgeBefore,
  });
  log.last_checkpoint_hash = hash;
  log.last_checkpoint_at = now;
  log.last_checkpoint_size = String(body.tree_size);
  return body;
}

async function lockLog(c: PoolClient, ref: LogRef): Promise<{ log: LogRow; frontier: MerkleFrontier }> {
  const log = await lockIntegrityLog(c, logIdOf(ref), ref.accountId, ref.workspaceId);
  const frontier = new MerkleFrontier(Number(log.tree_size), log.frontier.map((h) => Buffer.from(h, 'hex')));
  return { log, frontier };
}

/**
 * Seal a log's new events in commit order: each gets the next position and
 * its leaf hash, the frontier moves, and a signed checkpoint follows when one
 * is due. Sealing reads only committed events and never blocks ingestion; an
 * event that commits late is sealed in the next round.
 */
export async function sealLog(db: Database, key: SigningKey, ref: LogRef, opts: SealOptions = {}): Promise<SealResult> {
  const now = opts.now ?? new Date();
  const batch = opts.batch ?? 5000;
  const every = opts.checkpointEveryMs ?? 30_000;
  const quiet = opts.quietCheckpointMs ?? 3_600_000;
  const slack = opts.lateSlackMs ?? 15 * 60_000;
  const result: SealResult = { sealed: 0, anomalies: 0, checkpoint: false };
  // The previous completed round, read once: catching up over many batches is one round.
  let floor: number | null = null;
  for (;;) {
    const done = await db.tenant(ref.accountId, async (c) => {
      const { log, frontier } = await lockLog(c, ref);
      const rows = await eventsAfter(c, ref.accountId, ref.workspaceId, { txid: log.cursor_txid, id: log.cursor_id }, batch);
      const seqs: number[] = [];
      const ids: string[] = [];
      const times: Date[] = [];
      const hashes: string[] = [];
      const late: typeof rows = [];
      floor ??= log.last_round_at ? log.last_round_at.getTime() - slack : -Infinity;
      for (const r of rows) {
        if (r.received_at.getTime() < floor) {
          late.push(r);
          continue;
        }
        const leaf = leafHash(toApiEvent(r), LEAF_VERSION);
        seqs.push(frontier.size);
        frontier.append(leaf);
        ids.push(r.id);
        times.push(r.occurred_at);
        hashes.push(leaf.toString('hex'));
      }
      await insertLeaves(c, log.log_id, ref.accountId, now, LEAF_VERSION, { seqs, ids, times, hashes });
      if (late.length) {
        // The tenant hears of it in its own log, in the same transaction as the finding.
        await writePlatformEvents(
          c,
          ref.accountId,
          late.map((r) =>
            normalizeEvent(
              {
                action: 'integrity.anomaly',
                actor: { type: 'system', id: 'integrity', name: 'Integrity' },
                target: { type: 'event', id: r.id, name: r.action },
                outcome: 'failure',
                metadata: { reason: 'written into the past: its receipt time is before the previous sealing round', received_at: r.received_at.toISOString(), occurred_at: r.occurred_at.toISOString() },
              },
              { accountId: ref.accountId, receivedAt: now, workspaceId: ref.workspaceId },
            ),
          ),
        );
        await insertAnomalies(c, log.log_id, ref.accountId, now, log.last_round_at, late);
      }
      const last = rows[rows.length - 1];
      const finished = rows.length < batch;
      const stale = !log.last_round_at || now.getTime() - log.last_round_at.getTime() >= 60_000;
      if (last || stale) {
        // The round's time is recorded only when it is complete (the floor above must not move while catching up).
        await saveIntegrityLog(c, log.log_id, { treeSize: frontier.size, frontier: frontier.nodes.map((n) => n.toString('hex')), last: last ?? null, now, roundComplete: finished });
      }
      result.sealed += ids.length;
      result.anomalies += late.length;
      if (finished) {
        const since = log.last_checkpoint_at ? now.getTime() - log.last_checkpoint_at.getTime() : Infinity;
        const grown = Number(log.last_checkpoint_size ?? -1) !== frontier.size;
        if ((grown && since >= every) || since >= quiet) {
          await writeCheckpoint(c, key, ref, log, frontier, now);
          result.checkpoint = true;
        }
      }
      return finished;
    });
    if (done) return result;
  }
}

/** Every log of every account whose plan includes integrity proofs. */
export async function sealableLogs(db: Database): Promise<LogRef[]> {
  return (await integrityAccounts(db))
    .filter((r) => hasEntitlement(planOrFree(r.plan).id, 'integrity_proofs'))
    .flatMap((r) => [{ accountId: r.account_id, workspaceId: null }, ...r.workspace_ids.map((w) => ({ accountId: r.account_id, workspaceId: w }))]);
}

/** One account's logs, when its plan includes integrity proofs (else none): read in its own tenant transaction. */
export async function sealableLogsOf(db: Database, accountId: string): Promise<LogRef[]> {
  return db.tenant(accountId, async (c) => {
    const plan = await readAccountPlan(c, accountId);
    if (plan === null || !hasEntitlement(planOrFree(plan).id, 'integrity_proofs')) return [];
    return [{ accountId, workspaceId: null }, ...[...(await workspaceIdsOf(c))].map((w) => ({ accountId, workspaceId: w }))];
  });
}

/**
 * Seal one account's logs now and checkpoint each (an export's signed
 * manifest covers its rows so). Returns the logs sealed: none without
 * integrity proofs.
 */
export async function sealAccountNow(db: Database, key: SigningKey, accountId: string): Promise<LogRef[]> {
  const logs = await sealableLogsOf(db, accountId);
  for (const ref of logs) await sealLog(db, key, ref, { checkpointEveryMs: 0 });
  return logs;
}

/**
 * Before retention deletes an account's events: seal what is committed and
 * write a signed checkpoint naming the purge cutoff, for each of its logs, so
 * what remains verifies (leaves of events older than the cutoff may then be
 * missing their events, and only those).
 */
export async function checkpointBeforePurge(db: Database, key: SigningKey, accountId: string, workspaceIds: string[], cutoff: Date, opts: SealOptions = {}): Promise<void> {
  for (const ref of [{ accountId, workspaceId: null }, ...workspaceIds.map((w) => ({ accountId, workspaceId: w }))]) {
    await sealLog(db, key, ref, opts);
    await db.tenant(accountId, async (c) => {
      const { log, frontier } = await lockLog(c, ref);
      await writeCheckpoint(c, key, ref, log, frontier, opts.now ?? new Date(), cutoff);
    });
  }
}

export interface SealRoundResult {
  logs: number;
  sealed: number;
  checkpoints: number;
  /** Rows written into the past that were refused, per log id. */
  anomalies: { logId: string; count: number }[];
}

/**
 * One round over every log of every account: new events get their positions
 * and leaf hashes in commit order, due checkpoints are signed. The worker's
 * schedule runs it; a round repeated is harmless (each log is locked while
 * it is sealed).
 */
export async function sealAllLogs(db: Database, key: SigningKey, opts: SealOptions = {}): Promise<SealRoundResult> {
  const logs = await sealableLogs(db);
  const out: SealRoundResult = { logs: logs.length, sealed: 0, checkpoints: 0, anomalies: [] };
  for (const ref of logs) {
    const r = await sealLog(db, key, ref, opts);
    out.sealed += r.sealed;
    if (r.checkpoint) out.checkpoints++;
    if (r.anomalies) out.anomalies.push({ logId: ref.workspaceId ?? ref.accountId, count: r.anomalies });
  }
  return out;
}
