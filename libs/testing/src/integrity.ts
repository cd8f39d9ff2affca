import type { AppConfig } from '@audit-trail/config';
import { Database } from '@audit-trail/data';
import { loadSigningKey, registerKey, sealLog } from '@audit-trail/engines';

/**
 * Seal one tenant's account log now, with the key the api and worker sign
 * with, and write a checkpoint: what the worker's schedule would do, on
 * demand. A transaction left open elsewhere on the server holds sealing back
 * (pg_snapshot_xmin), so it tries until something was sealed or 10 s passed.
 */
export async function sealAccountLog(config: AppConfig, accountId: string): Promise<number> {
  const db = new Database(config.APP_DATABASE_URL, 2);
  try {
    const key = loadSigningKey(undefined, config.SIGNING_KEY_FILE);
    const c = await db.connect();
    try {
      await registerKey(c, key);
    } finally {
      c.release();
    }
    for (let i = 0; i < 100; i++) {
      const { sealed } = await sealLog(db, key, { accountId, workspaceId: null }, { checkpointEveryMs: 0 });
      if (sealed > 0) return sealed;
      await new Promise((r) => setTimeout(r, 100));
    }
    return 0;
  } finally {
    await db.close();
  }
}
