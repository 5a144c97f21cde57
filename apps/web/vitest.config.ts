import { configDefaults, defineConfig } from 'vitest/config';
import shared from '../../vitest.shared';

/** Light unit tests only; the real-browser suite is `vitest.browser.config.ts` (`pnpm test:browser`). */
export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    include: ['src/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/browser/**'],
  },
});
