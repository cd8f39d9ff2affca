#!/usr/bin/env node
// npm run migrate: run pending migrations as the owner role (DATABASE_URL).
// With --check: also fail when the entities describe schema no migration creates.
import { createRequire } from 'node:module';
import { loadDotEnv, localSecrets } from './lib/env.mjs';

loadDotEnv();
const require = createRequire(import.meta.url);
require('reflect-metadata');
const { runMigrations, migrationsDrift } = require('@audit-trail/data');

if (!process.env.DATABASE_URL) {
  console.error('DATABASE_URL is not set (npm start sets it for the embedded database).');
  process.exit(2);
}
const secrets = process.env.APP_DB_PASSWORD && process.env.RETENTION_DB_PASSWORD ? {} : localSecrets();
const ran = await runMigrations({
  DATABASE_URL: process.env.DATABASE_URL,
  APP_DB_PASSWORD: process.env.APP_DB_PASSWORD ?? secrets.APP_DB_PASSWORD,
  RETENTION_DB_PASSWORD: process.env.RETENTION_DB_PASSWORD ?? secrets.RETENTION_DB_PASSWORD,
}, { silent: true }); // one summary line below instead of two per migration
console.log(ran.length ? `[migrate] applied ${ran.length} migration${ran.length === 1 ? '' : 's'}, up to ${ran[ran.length - 1]}` : '[migrate] up to date');
if (process.argv.includes('--check')) {
  const drift = await migrationsDrift(process.env.DATABASE_URL);
  if (drift.length) {
    console.error('[migrate] entities and migrations disagree; generate a migration:\n' + drift.join('\n'));
    process.exit(1);
  }
  console.log('[migrate] entities and migrations agree');
}
