import { type CheckpointBody, checkpointHash } from '@audit-trail/audit-core';
import type { CheckpointRow } from '@audit-trail/data';
import { generateKeyPairSync } from 'node:crypto';
import { keyIdOf, signCheckpoint, type SigningKey } from './signing';
import { checkCheckpointChain, checkpointBody } from './verify';

function key(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, keyId: keyIdOf(publicKey), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** A chain of signed checkpoints as the sealer writes them. */
function chain(k: SigningKey, n: number): CheckpointRow[] {
  const rows: CheckpointRow[] = [];
  let previous: string | null = null;
  for (let i = 0; i < n; i++) {
    const body: CheckpointBody = {
      log_id: 'log-1',
      account_id: 'acc-1',
      workspace_id: null,
      tree_size: (i + 1) * 10,
      root_hash: String(i).repeat(64).slice(0, 64),
      timestamp: new Date(Date.UTC(2026, 4, 1, 0, i)).toISOString(),
      previous_hash: previous,
      key_id: k.keyId,
    };
    const hash = checkpointHash(body);
    rows.push({ id: `cp${i}`, log_id: body.log_id, account_id: body.account_id, workspace_id: null, tree_size: String(body.tree_size), root_hash: body.root_hash, created_at: new Date(body.timestamp), previous_hash: previous, hash, key_id: k.keyId, signature: signCheckpoint(k, body), purge_before: null });
    previous = hash;
  }
  return rows;
}

describe('verification, the checkpoint chain', () => {
  const k = key();
  const keys = new Map([[k.keyId, k.publicKeyPem]]);

  it('accepts an untouched chain, and the body it checks is the one that was signed', () => {
    const rows = chain(k, 4);
    expect(checkCheckpointChain(rows, keys)).toEqual([]);
    expect(checkpointBody(rows[1]).previous_hash).toBe(rows[0].hash);
  });

  it('names a removed checkpoint, a changed root, and a key nobody published', () => {
    const rows = chain(k, 4);
    const removed = [rows[0], rows[2], rows[3]];
    expect(checkCheckpointChain(removed, keys).map((b) => b.reason)).toEqual(['checkpoint cp2 does not follow the previous checkpoint: one was removed or replaced']);
    const edited = chain(k, 3);
    edited[1] = { ...edited[1], root_hash: 'f'.repeat(64) };
    expect(checkCheckpointChain(edited, keys)).toEqual([{ event_id: null, seq: 20, occurred_at: null, reason: 'checkpoint cp1 (size 20) has no valid signature from a published key' }]);
    const other = key();
    expect(checkCheckpointChain(chain(other, 1), keys)[0].reason).toMatch(/no valid signature from a published key/);
  });
});
