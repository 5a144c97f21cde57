import { defineConfig } from 'vite';

/**
 * A static site: `vite build` writes dist/, which any static file server can
 * host from any path (`base: './'`). Workspace packages resolve to their
 * TypeScript sources, so no package needs building first.
 */
export default defineConfig({
  resolve: { conditions: ['@gpt2/source'] },
  base: './',
  // The model worker imports backends lazily: only ES-module workers can split chunks.
  worker: { format: 'es' },
  build: { outDir: 'dist', target: 'es2022', chunkSizeWarningLimit: 4096 },
});
