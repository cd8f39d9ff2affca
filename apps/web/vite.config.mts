import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: resolve(import.meta.dirname),
  plugins: [react()],
  resolve: {
    alias: {
      '@audit-trail/plans': resolve(import.meta.dirname, '../../libs/plans/src/index.ts'),
      '@audit-trail/log-view': resolve(import.meta.dirname, '../../libs/log-view/src/index.ts'),
      '@audit-trail/sdk': resolve(import.meta.dirname, '../../libs/sdk/src/index.ts'),
      // The console takes only the browser-safe entry of the domain library.
      '@audit-trail/audit-core/browser': resolve(import.meta.dirname, '../../libs/audit-core/src/browser.ts'),
    },
  },
  build: { outDir: resolve(import.meta.dirname, 'dist'), emptyOutDir: true, sourcemap: true, manifest: true, chunkSizeWarningLimit: 800 },
  server: { port: 5173, proxy: { '/v1': 'http://localhost:3000', '/openapi.json': 'http://localhost:3000' } },
});
