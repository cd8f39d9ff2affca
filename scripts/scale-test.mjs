#!/usr/bin/env node
// npm run scale-test: build, then Jest's `scale` project (apps/api/test/scale.scale-spec.ts), which starts
// on loopback and in temp folders a three-master Redis Cluster, a PostgreSQL primary and a streaming replica
// (initdb, pg_basebackup -R), two api and two worker processes and a webhook receiver, drives mixed load,
// SIGKILLs and restarts one api and one worker, and accounts for every acknowledged event. It removes
// everything it started. The last line printed is the summary; the exit code is non-zero on any loss.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/env.mjs';

const run = (cmd, args) => spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, TZ: 'UTC' } }).status ?? 1;
if (run('npx', ['tsc', '-b', 'tsconfig.build.json']) !== 0) process.exit(1);
const summary = join(ROOT, 'test-results', 'scale.txt');
rmSync(summary, { force: true });
const status = run('npx', ['jest', '--selectProjects', 'scale', '--runInBand', ...process.argv.slice(2)]);
const lines = existsSync(summary) ? readFileSync(summary, 'utf8').trim().split('\n') : ['scale: no summary (the run stopped before it counted); see above'];
for (const l of lines) console.log(l);
process.exit(status === 0 ? 0 : 1);
