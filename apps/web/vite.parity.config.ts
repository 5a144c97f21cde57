import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The browser suite's WebGPU parity page (test/browser/webgpu-parity), built
 * beside the test results, never into the site: `pnpm test:browser` builds it.
 */
export default defineConfig({
  root: fileURLToPath(new URL('test/browser/webgpu-parity', import.meta.url)),
  resolve: { conditions: ['@gpt2/source'] },
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('test-results/webgpu-parity-site', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
  },
});
