/**
 * The closing line of .ci/run on logs recorded from real runs that failed on
 * purpose (a scratch copy of the repository with one thing broken each time;
 * see __fixtures__/logs/README.md for how each was made). None may end in
 * "0 failed".
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STAGES, summarize } from '../../../scripts/summarize-tests.mjs';

const log = (name: string) =>
  readFileSync(new URL(`./__fixtures__/logs/${name}.log`, import.meta.url), 'utf8');

describe('summarize-tests on recorded logs', () => {
  it('a passing run: the tests it ran, 0 failed', () => {
    const result = summarize(log('pass'), { status: 0, expect: ['turbo'] });
    expect(result).toMatchObject({ passed: 2, failed: 0, failures: [] });
    expect(result.line).toBe('Tests: 2 passed, 0 failed');
  });

  it('a failing test', () => {
    const result = summarize(log('failing-test'), { status: 1, expect: ['turbo'] });
    expect(result).toMatchObject({ passed: 2, failed: 1 });
    expect(result.failures).toEqual(['@gpt2/corpora#test: 1 failed test']);
  });

  it('a test file that throws at import (it has no tests, vitest counts 0 failed tests)', () => {
    const result = summarize(log('collect'), { status: 1, expect: ['turbo'] });
    expect(result).toMatchObject({ passed: 2, failed: 1 });
    expect(result.failures[0]).toMatch(/1 suite that did not run \(import error/);
  });

  it('a test file that imports a module that does not exist', () => {
    const result = summarize(log('missing-module'), { status: 1, expect: ['turbo'] });
    expect(result.failed).toBe(1);
    expect(result.line).not.toMatch(/ 0 failed/);
  });

  it('a failing beforeAll: vitest marks its tests skipped, the summary counts the suite failed', () => {
    const result = summarize(log('before-all'), { status: 1, expect: ['turbo'] });
    expect(result).toMatchObject({ passed: 2, failed: 1, skipped: 2 });
    expect(result.failures[0]).toMatch(/beforeAll\/afterAll\), 2 tests skipped/);
    expect(result.line).toBe('Tests: 2 passed, 1 failed, 2 skipped');
  });

  it('a failing typecheck: the tests passed, the run did not', () => {
    const result = summarize(log('typecheck'), { status: 2, expect: ['lint', 'turbo'] });
    expect(result).toMatchObject({ passed: 2, failed: 1 });
    expect(result.failures).toEqual(['@gpt2/corpora#typecheck failed']);
  });

  it('a failing build, and the task turbo cancelled after it', () => {
    const result = summarize(log('build'), { status: 2, expect: ['lint', 'turbo'] });
    expect(result.failed).toBe(2);
    expect(result.failures).toEqual([
      '@gpt2/corpora#build failed',
      'turbo: 1 task did not run (cancelled after a failure)',
    ]);
  });

  it('failing lint stops `pnpm test:all` at once: the stages after it count as not run', () => {
    const result = summarize(log('lint'), { status: 1, expect: STAGES });
    expect(result.passed).toBe(0);
    expect(result.failures).toEqual([
      'lint: Biome found 1 error',
      'did not run: docs check (README results against docs/results), build, typecheck and unit tests (turbo), pack smoke test, browser suite',
    ]);
    expect(result.failed).toBe(5);
  });

  it('a failing pack smoke test counts its failed and skipped checks', () => {
    const result = summarize(log('pack'), { status: 1, expect: ['pack'] });
    expect(result.failed).toBeGreaterThan(0);
    expect(result.failures[0]).toMatch(/^pack smoke test: \d+ checks? failed or did not run$/);
    // The checks before the failure passed.
    expect(result.passed).toBeGreaterThan(0);
  });

  it('a browser suite whose build failed never started', () => {
    const result = summarize(log('browser-build'), { status: 1, expect: ['browser'] });
    expect(result.failures).toEqual([
      'browser suite: did not start (no test ran; see the log above)',
    ]);
    expect(result.failed).toBe(1);
  });

  it('a browser suite without Chromium under CI fails at import', () => {
    const result = summarize(log('browser-no-chromium'), { status: 1, expect: ['browser'] });
    expect(result.failed).toBe(1);
    expect(result.failures[0]).toMatch(/^browser: 1 suite that did not run/);
  });

  it('a browser suite whose Chromium does not launch: beforeAll fails, every test skipped', () => {
    const result = summarize(log('browser-launch'), { status: 1, expect: ['browser'] });
    expect(result.failed).toBe(1);
    expect(result.skipped).toBeGreaterThan(0);
    expect(result.failures[0]).toMatch(/^browser: 1 suite that did not run .*tests skipped$/);
  });

  it('a README results section that no longer matches the committed reports', () => {
    const result = summarize(log('docs-stale'), { status: 1, expect: ['docs'] });
    expect(result.failed).toBe(1);
    expect(result.failures).toEqual([
      'docs: stale: README.md results section no longer matches docs/results/quickstart-report-openblas.json. Run `pnpm docs:results` and commit the result.',
    ]);
  });

  it('a non-zero status with no failure in the log still fails', () => {
    const result = summarize(log('pass'), { status: 3 });
    expect(result.failed).toBe(1);
    expect(result.failures[0]).toMatch(/exited with status 3/);
  });

  it('an empty log with every stage expected: nothing ran, nothing passed', () => {
    const result = summarize('', { expect: STAGES });
    expect(result.failed).toBe(5);
  });
});
