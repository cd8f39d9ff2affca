#!/usr/bin/env node
// npm run fuzz: the property-based suite at full size against a fresh
// database and the real API. FUZZ_RUNS cases per property (default 1,700:
// 10,200 generated cases over the six properties plus the schema checks),
// FUZZ_SEED to replay a run (the seed is printed). npm test runs the same
// file with a small fixed-seed sample.
import { spawnSync } from 'node:child_process';
import { ROOT, requireRedis } from './lib/env.mjs';
import { migrate, recreateDatabase } from './lib/testdb.mjs';

const url = process.env.FUZZ_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/audit_trail_fuzz';
process.env.FUZZ_RUNS ??= '1700';
process.env.FUZZ_SEED ??= String(Date.now() % 2 ** 31);
await requireRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
spawnSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
await recreateDatabase(url);
if (!migrate(url, { stdio: 'ignore' })) {
  console.error('[fuzz] migrations failed');
  process.exit(1);
}
console.log(`[fuzz] FUZZ_RUNS=${process.env.FUZZ_RUNS} FUZZ_SEED=${process.env.FUZZ_SEED}`);
const r = spawnSync('npx', ['jest', '--selectProjects', 'api', '--testTimeout', '3600000', '--', 'apps/api/test/fuzz.e2e-spec.ts'], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, TEST_DATABASE_URL: url, DATABASE_URL: url, TZ: 'UTC' },
});
process.exit(r.status ?? 1);
