#!/usr/bin/env node
// npm test: type-check and build, lint, prepare a fresh test database, run
// every Jest tier (unit, API integration, browser), and end with one line
// "N passed, N failed" counted from the runner's results plus the checks.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, requireRedis } from './lib/env.mjs';
import { recreateDatabase, TEST_PASSWORDS } from './lib/testdb.mjs';

const checks = [];
function step(name, cmd, args, extraEnv = {}) {
  console.log(`\n[test] ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  const ok = r.status === 0;
  checks.push({ name, ok });
  return ok;
}

const testDbUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/audit_trail_test';
process.env.TEST_DATABASE_URL = testDbUrl;
process.env.TZ = 'UTC';
await requireRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

// A fresh clone must stay clean after npm install: the committed lock is the one npm leaves here.
step('lock file (npm install would not change package-lock.json)', 'node', ['scripts/check-lock.mjs']);
const built = step('build', 'npx', ['tsc', '-b', 'tsconfig.build.json']);
step('typecheck (tests and console too)', 'npx', ['tsc', '-p', 'tsconfig.json']);
// The module-boundary lint rule reads Nx's project graph.
spawnSync('npx', ['nx', 'show', 'projects'], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } });
step('lint', 'npx', ['eslint', '.', '--max-warnings', '0']);
const webBuilt = step('web build', 'npx', ['vite', 'build', '--config', 'apps/web/vite.config.mts', '--logLevel', 'warn']);
if (webBuilt) step('console bundle budget (Audit Log page initial JS <= 250 KB gzipped)', 'node', ['scripts/bundle-size.mjs']);
// The embeddable viewer (served as /viewer.js, packed and installed by the browser tests).
const viewerBuilt = step('viewer build', 'node', ['scripts/build-viewer.mjs']);

// A fresh database for every run, migrated by the same code as production.
await recreateDatabase(testDbUrl);
if (built) step('migrations + drift check', 'node', ['scripts/migrate.mjs', '--check'], { DATABASE_URL: testDbUrl, ...TEST_PASSWORDS });

// Browser tests drive Debian's Chromium; without it they cannot run, and that is a failure, not a skip.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(`[test] ${chromium} is missing: apt-get install -y chromium (the browser tests need it)`);
  checks.push({ name: 'chromium present', ok: false });
}

// The fault tests, a fixed sample of each (npm run chaos runs them at full size): own PostgreSQL and Redis, never the shared ones.
if (built) step('chaos sample (api killed, PostgreSQL and Redis restarted, worker killed mid-export and mid-forwarding)', 'node', ['scripts/chaos.mjs'], { CHAOS_SAMPLE: '1' });

const out = join(ROOT, 'test-results', 'jest.json');
rmSync(out, { force: true });
console.log('\n[test] jest');
const args = ['jest', '--json', `--outputFile=${out}`, '--maxWorkers=2'];
// The default tiers; `cluster` (the API tier again, on a Redis Cluster) is npm run test:cluster.
const tiers = webBuilt && viewerBuilt && existsSync(chromium) ? ['unit', 'api', 'worker', 'web'] : ['unit', 'api', 'worker'];
if (!process.argv.includes('--selectProjects')) args.push('--selectProjects', ...tiers);
const jest = spawnSync('npx', [...args, ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, DATABASE_URL: testDbUrl, WEB_DIST: join(ROOT, 'apps/web/dist') },
});

let passed = 0;
let failed = 0;
if (existsSync(out)) {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
} else {
  failed += 1;
}
if (jest.status !== 0 && failed === 0) failed += 1;
for (const ch of checks) {
  console.log(`[test] check ${ch.name}: ${ch.ok ? 'ok' : 'FAILED'}`);
  if (ch.ok) passed += 1;
  else failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
