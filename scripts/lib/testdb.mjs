// A fresh, migrated database for a test run (npm test, npm run fuzz).
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { ROOT } from './env.mjs';

export const TEST_PASSWORDS = { APP_DB_PASSWORD: 'audit_app_local_only', RETENTION_DB_PASSWORD: 'audit_retention_local_only' };

/** Drop and create the database `url` names (connecting to `postgres` on the same server). */
export async function recreateDatabase(url) {
  const admin = new URL(url);
  const dbName = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await c.query(`CREATE DATABASE "${dbName}"`);
  await c.end();
}

/** Run the migrations (and, with `check`, the drift check) as the owner; true when they succeeded. */
export function migrate(url, { check = false, stdio = 'inherit' } = {}) {
  const r = spawnSync('node', ['scripts/migrate.mjs', ...(check ? ['--check'] : [])], { cwd: ROOT, stdio, env: { ...process.env, DATABASE_URL: url, ...TEST_PASSWORDS } });
  return r.status === 0;
}
