/**
 * A worker thread of `verify`: checks one share of a log's leaves against
 * their events on its own connection, inside the snapshot the main thread
 * exported, so both see the same database. Hashing is the slow part of
 * verification; this puts it on a second core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client } from 'pg';
import { setTenantSql } from '@audit-trail/data';
import { checkPairs, type PairsArgs } from './verify-pairs';

interface Job {
  url: string;
  snapshot: string;
  args: PairsArgs;
}

async function run({ url, snapshot, args }: Job) {
  if (!/^[0-9A-F-]+$/i.test(snapshot)) throw new Error('not a snapshot id');
  const c = new Client({ connectionString: url, application_name: 'audit-trail-verify' });
  await c.connect();
  try {
    await c.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '${snapshot}'; ${setTenantSql(args.accountId)}`);
    const result = await checkPairs(c, args);
    await c.query('COMMIT');
    return result;
  } finally {
    await c.end();
  }
}

run(workerData as Job).then(
  (result) => parentPort?.postMessage({ ok: true, result }),
  (err: unknown) => parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
);
