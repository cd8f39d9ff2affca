/**
 * A worker thread of `verify`: checks one share of a log's leaves against
 * their events on its own connection, inside the snapshot the main thread
 * exported, so both see the same database. Hashing is the slow part of
 * verification; this puts it on a second core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Database } from '@audit-trail/data';
import { checkPairs, type PairsArgs } from './verify-pairs';

interface Job {
  url: string;
  snapshot: string;
  args: PairsArgs;
}

async function run({ url, snapshot, args }: Job) {
  const db = new Database(url, 1);
  try {
    return await db.tenant(args.accountId, (c) => checkPairs(c, args), { snapshot, readOnly: true });
  } finally {
    await db.close();
  }
}

run(workerData as Job).then(
  (result) => parentPort?.postMessage({ ok: true, result }),
  (err: unknown) => parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
);
