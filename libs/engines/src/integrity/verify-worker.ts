/**
 * A worker thread of `verify`: checks a log's leaves against their events on
 * its own connection, inside the snapshot the main thread exported, so both
 * see the same database. Reading and hashing every event is the slow part of
 * verification; this puts it on a second core while the main thread walks
 * the Merkle tree and looks for unsealed events.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Database, setLockTimeout } from '@audit-trail/data';
import { checkPairs, type PairsArgs } from './verify-pairs';

/** How long this thread waits for a table lock before it leaves the pairs to the main thread. */
const LOCK_TIMEOUT_MS = 2000;

interface Job {
  url: string;
  snapshot: string;
  args: PairsArgs;
}

async function run({ url, snapshot, args }: Job) {
  const db = new Database(url, 1);
  try {
    return await db.tenant(
      args.accountId,
      async (c) => {
        // The main thread holds its locks while it waits for this one. Should a
        // lock request queue here behind someone waiting for the main thread
        // (CREATE TABLE … PARTITION OF wants the parent exclusively), neither
        // would ever move and PostgreSQL cannot see why: give up instead, and
        // the main thread checks the pairs itself.
        await setLockTimeout(c, LOCK_TIMEOUT_MS);
        return checkPairs(c, args);
      },
      { snapshot, readOnly: true },
    );
  } finally {
    await db.close();
  }
}

run(workerData as Job).then(
  (result) => parentPort?.postMessage({ ok: true, result }),
  (err: unknown) => parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
);
