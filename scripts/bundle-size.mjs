#!/usr/bin/env node
// The console's initial JavaScript for the Audit Log page: the entry chunk and
// every chunk it imports statically (pages loaded on demand are left out),
// gzipped at level 9 as a CDN would serve them. Reads Vite's build manifest;
// exits 1 when the total passes the budget (issue 7: 250 KB).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './lib/env.mjs';

const BUDGET = Number(process.env.BUNDLE_BUDGET_KB ?? 250) * 1024;
const dist = join(ROOT, 'apps/web/dist');
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));
const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
if (!entry) throw new Error('no entry chunk in apps/web/dist/.vite/manifest.json');

const seen = new Set();
const visit = (key) => {
  if (seen.has(key)) return;
  seen.add(key);
  for (const dep of manifest[key].imports ?? []) visit(dep);
};
visit(entry);

let raw = 0;
let gz = 0;
const rows = [];
for (const key of seen) {
  const buf = readFileSync(join(dist, manifest[key].file));
  const z = gzipSync(buf, { level: 9 }).length;
  raw += buf.length;
  gz += z;
  rows.push([manifest[key].file, buf.length, z]);
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const [file, r, z] of rows.sort((a, b) => b[2] - a[2])) console.log(`  ${file.padEnd(40)} ${kb(r).padStart(10)} ${kb(z).padStart(10)} gz`);
console.log(`[bundle] Audit Log page initial JS: ${kb(raw)}, ${kb(gz)} gzipped (budget ${kb(BUDGET)}) in ${rows.length} chunks`);
process.exit(gz <= BUDGET ? 0 : 1);
