#!/usr/bin/env node
// Build @audit-trail/viewer (libs/viewer/dist):
//   element.js  <audit-trail-viewer>, everything inside (React, Mantine, the SDK): one <script type="module">.
//   index.js    the React component; React and ReactDOM come from the app that uses it.
// The shared console components (libs/log-view) and the SDK are bundled in both: the package installs alone.
import { build } from 'vite';
import react from '@vitejs/plugin-react';
import { join } from 'node:path';
import { ROOT } from './lib/env.mjs';

const pkg = join(ROOT, 'libs/viewer');
const alias = {
  '@audit-trail/log-view': join(ROOT, 'libs/log-view/src/index.ts'),
  '@audit-trail/sdk': join(ROOT, 'libs/sdk/src/index.ts'),
};
const common = (entry, fileName, external, emptyOutDir) => ({
  configFile: false,
  root: pkg,
  logLevel: 'warn',
  plugins: [react()],
  resolve: { alias },
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: join(pkg, 'dist'),
    emptyOutDir,
    minify: true,
    sourcemap: false,
    lib: { entry: join(pkg, entry), formats: ['es'], fileName: () => fileName },
    rollupOptions: { external },
  },
});

await build(common('src/element.tsx', 'element.js', [], true));
await build(common('src/react.tsx', 'index.js', (id) => /^react(-dom)?(\/|$)/.test(id), false));
const { statSync } = await import('node:fs');
const { gzipSync } = await import('node:zlib');
const { readFileSync } = await import('node:fs');
for (const f of ['element.js', 'index.js']) {
  const file = join(pkg, 'dist', f);
  console.log(`[viewer] dist/${f}: ${(statSync(file).size / 1024).toFixed(1)} KB, ${(gzipSync(readFileSync(file)).length / 1024).toFixed(1)} KB gzipped`);
}
