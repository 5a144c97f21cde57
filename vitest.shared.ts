import { defineConfig } from 'vitest/config';

/**
 * Shared test settings. The `@gpt2/source` export condition makes workspace
 * packages resolve to their TypeScript sources, so a package's tests run
 * without building its dependencies first.
 */
export default defineConfig({
  resolve: { conditions: ['@gpt2/source'] },
  ssr: { resolve: { conditions: ['@gpt2/source'] } },
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    passWithNoTests: true,
  },
});
