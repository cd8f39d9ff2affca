#!/usr/bin/env node
// Pack the offline verifier as a package that installs alone: the CLI and the
// parts of libs/audit-core it uses bundled into one CommonJS file (no
// dependencies), then `npm pack`. Prints the tarball's path.
// Usage: node scripts/pack-verify.mjs [destination folder]
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'rolldown';
import { ROOT } from './lib/env.mjs';

const dest = resolve(process.argv[2] ?? join(ROOT, 'dist-packages'));
mkdirSync(dest, { recursive: true });
const pkg = join(ROOT, 'libs/verify');
await build({
  input: join(pkg, 'src/cli.ts'),
  platform: 'node',
  logLevel: 'warn',
  resolve: { alias: { '@audit-trail/audit-core': join(ROOT, 'libs/audit-core/src/index.ts') } },
  output: { file: join(pkg, 'dist/cli.cjs'), format: 'cjs' },
});
const r = spawnSync('npm', ['pack', '--silent', '--pack-destination', dest], { cwd: pkg, encoding: 'utf8' });
if (r.status !== 0) {
  process.stderr.write(r.stderr);
  process.exit(1);
}
console.log(join(dest, r.stdout.trim().split('\n').pop()));
