import type { SqlExecutor } from '../database';

/**
 * The integrity tables the API and the engines read: published keys,
 * signed checkpoints, and which events are sealed.
 */

export interface CheckpointRow {
  id: string;
  log_id: string;
  account_id: string;
  workspace_id: string | null;
  tree_size: string;
  root_hash: string;
  created_at: Date;
  previous_hash: string | null;
  hash: string;
  key_id: string;
  signature: string;
  purge_before: Date | null;
}

export interface SigningKeyRow {
  key_id: string;
  algorithm: string;
  public_key: string;
  valid_from: Date;
  valid_to: Date | null;
}

/** Every key that ever signed, newest first (integrity_keys is readable by every tenant: keys are public). */
export async function listSigningKeys(exec: SqlExecutor): Promise<SigningKeyRow[]> {
  return (await exec.query<SigningKeyRow>('SELECT * FROM integrity_keys ORDER BY valid_from DESC')).rows;
}

/** Publish a key: it becomes the valid one, and every older key keeps its record with the end of its validity. */
export async function publishSigningKey(exec: SqlExecutor, keyId: string, publicKeyPem: string): Promise<void> {
  await exec.query(`INSERT INTO integrity_keys (key_id, public_key) VALUES ($1, $2) ON CONFLICT (key_id) DO UPDATE SET valid_to = NULL`, [keyId, publicKeyPem]);
  await exec.query(`UPDATE integrity_keys SET valid_to = now() WHERE key_id <> $1 AND valid_to IS NULL`, [keyId]);
}

/** One log's checkpoints in a time range, newest first. */
export async function listCheckpoints(exec: SqlExecutor, logId: string, range: { from?: string | null; to?: string | null; limit: number }): Promise<CheckpointRow[]> {
  const { rows } = await exec.query<CheckpointRow>(
    `SELECT * FROM integrity_checkpoints WHERE log_id = $1 AND created_at >= coalesce($2::timestamptz, '-infinity') AND created_at < coalesce($3::timestamptz, 'infinity')
     ORDER BY created_at DESC LIMIT $4`,
    [logId, range.from ?? null, range.to ?? null, range.limit],
  );
  return rows;
}

/** The newest checkpoint of one log. */
export async function latestCheckpoint(exec: SqlExecutor, logId: string): Promise<CheckpointRow | undefined> {
  return (await exec.query<CheckpointRow>('SELECT * FROM integrity_checkpoints WHERE log_id = $1 ORDER BY created_at DESC LIMIT 1', [logId])).rows[0];
}

/** Which of these events are sealed (one index probe each). */
export async function sealedEventIds(exec: SqlExecutor, accountId: string, eventIds: string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const { rows } = await exec.query<{ event_id: string }>('SELECT event_id FROM integrity_leaves WHERE account_id = $1 AND event_id = ANY($2::uuid[])', [accountId, eventIds]);
  return new Set(rows.map((r) => r.event_id));
}
