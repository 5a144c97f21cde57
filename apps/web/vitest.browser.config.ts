import { defineConfig } from 'vitest/config';
import shared from '../../vitest.shared';

/**
 * The real-browser suite (Chromium + playwright-core against the built site).
 * Heavy: run it with `pnpm test:browser`, which builds first.
 */
export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    include: ['test/browser/**/*.browser.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
