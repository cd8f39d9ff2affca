#!/usr/bin/env node
// npm run test:cluster: build, a fresh test database, then the whole API tier
// with REDIS_URL=redis-cluster://… (Jest's `cluster` project starts a
// three-master Redis Cluster on loopback in temp folders and removes it).
import { spawnSync } from 'node:child_process';
import { ROOT } from './lib/env.mjs';
import { recreateDatabase, TEST_PASSWORDS } from './lib/testdb.mjs';

const testDbUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/audit_trail_test';
const run = (cmd, args, env = {}) => spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, TZ: 'UTC', TEST_DATABASE_URL: testDbUrl, ...env } }).status ?? 1;

if (run('npx', ['tsc', '-b', 'tsconfig.build.json']) !== 0) process.exit(1);
// /viewer.js is served from the built viewer (its test reads it).
if (run('node', ['scripts/build-viewer.mjs']) !== 0) process.exit(1);
await recreateDatabase(testDbUrl);
if (run('node', ['scripts/migrate.mjs'], { DATABASE_URL: testDbUrl, ...TEST_PASSWORDS }) !== 0) process.exit(1);
process.exit(run('npx', ['jest', '--selectProjects', 'cluster', '--maxWorkers=2', ...process.argv.slice(2)], { DATABASE_URL: testDbUrl }));
