#!/usr/bin/env node
// Fails when `npm install` would rewrite package-lock.json on this platform:
// the committed lock must be the one npm leaves, so a fresh clone stays clean
// after `npm install && npm start`. The file is put back as it was either way.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/env.mjs';

const file = join(ROOT, 'package-lock.json');
const before = readFileSync(file, 'utf8');
const r = spawnSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: ROOT, encoding: 'utf8' });
const after = readFileSync(file, 'utf8');
writeFileSync(file, before);
if (r.status !== 0) {
  console.error(`[lock] npm install --package-lock-only failed (${r.status}):\n${r.stderr}`);
  process.exit(1);
}
if (after !== before) {
  const a = new Set(before.split('\n'));
  const b = new Set(after.split('\n'));
  const added = [...b].filter((l) => !a.has(l)).length;
  const removed = [...a].filter((l) => !b.has(l)).length;
  console.error(`[lock] npm install would change package-lock.json (+${added} / -${removed} lines): run npm install and commit the lock file it leaves.`);
  process.exit(1);
}
console.log('[lock] package-lock.json is what npm install leaves');
