#!/usr/bin/env node
// Reads the log of the README's test command (`pnpm test:all`: Biome, turbo's
// build/typecheck/test, the pack smoke test, the browser suite) and closes it
// with one line, "Tests: N passed, M failed", that counts as failed everything
// that did not pass:
//   - failed tests;
//   - test files that failed to collect or threw at import, and suites whose
//     beforeAll/afterAll failed (vitest's "Failed Suites"; it marks their
//     tests skipped), and unhandled errors;
//   - failed turbo tasks (build, typecheck, or a test run that died without
//     a summary), and tasks turbo cancelled after a failure;
//   - Biome errors (one failure for the lint stage);
//   - a README results section or loss-curve picture that no longer matches
//     the committed quickstart reports (`pnpm docs:check`);
//   - the pack smoke test's failed checks;
//   - a browser suite that did not start;
//   - an expected stage that never ran (an earlier `&&` failed);
//   - a non-zero exit status with none of the above found (--status).
// Usage: node scripts/summarize-tests.mjs LOG [--status N] [--expect lint,docs,turbo,pack,browser]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

/** The stages of `pnpm test:all`, in order. */
export const STAGES = ['lint', 'docs', 'turbo', 'pack', 'browser'];

const STAGE_NAMES = {
  lint: 'lint (biome check)',
  docs: 'docs check (README results against docs/results)',
  turbo: 'build, typecheck and unit tests (turbo)',
  pack: 'pack smoke test',
  browser: 'browser suite',
};

/** `@gpt2/model:test: text` → key `@gpt2/model:test`, text. */
const TURBO_PREFIX = /^(@?[\w.-]+(?:\/[\w.-]+)?):([a-z][\w-]*(?::[a-z][\w-]*)*): ?(.*)$/;

/** pnpm's echo of the browser suite's command (`pnpm test:browser`, then the web app's script). */
const BROWSER_START =
  /^[$>] (?:pnpm (?:--filter \S+ )?(?:run )?test:browser\b|vite build && vitest run --config vitest\.browser)/;

function emptyRun() {
  return { failedSuites: 0, errors: 0, files: undefined, tests: undefined };
}

function counts(text) {
  const result = { passed: 0, failed: 0, skipped: 0 };
  for (const [, count, kind] of text.matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
    if (kind === 'todo') result.skipped += Number(count);
    else result[kind] += Number(count);
  }
  return result;
}

/**
 * Summarize a CI log.
 * @param {string} log the log text (ANSI colours are ignored)
 * @param {{ status?: number, expect?: readonly string[] }} [options]
 *   `status`: the command's exit status; `expect`: stages that must appear (default: none)
 * @returns {{ passed: number, failed: number, skipped: number, runs: number, failures: string[], line: string }}
 */
export function summarize(log, options = {}) {
  const lines = stripVTControlCharacters(log).split(/\r?\n/);
  const failures = [];
  /** Finished vitest runs: { source, failedSuites, errors, files, tests }. */
  const runs = [];
  /** Vitest runs in progress, by source (a turbo task, or '' for unprefixed output). */
  const open = new Map();
  const seen = new Set();
  let biomeErrors = 0;
  let docsStale;
  let browserStarted = false;
  let pack;
  const failedTasks = [];
  let turboTotals;

  for (const raw of lines) {
    const prefixed = TURBO_PREFIX.exec(raw);
    let source = prefixed ? `${prefixed[1]}#${prefixed[2]}` : '';
    const text = prefixed ? prefixed[3] : raw;
    if (!prefixed && BROWSER_START.test(text)) browserStarted = true;
    if (!prefixed && browserStarted) source = 'browser';

    // Biome.
    if (/^Checked \d+ files? in /.test(text)) seen.add('lint');
    const biome = /^Found (\d+) errors?\.$/.exec(text);
    if (biome) biomeErrors += Number(biome[1]);

    // The docs check (scripts/docs-results.ts --check).
    if (/^docs: README results and .* match /.test(text)) seen.add('docs');
    if (/^docs: stale: /.test(text)) {
      seen.add('docs');
      docsStale = text.replace(/^docs: stale: /, '');
    }

    // Turbo's closing lines.
    const tasks = /^\s*Tasks:\s+(\d+) successful, (\d+) total/.exec(text);
    if (tasks) {
      seen.add('turbo');
      turboTotals = { successful: Number(tasks[1]), total: Number(tasks[2]) };
    }
    const failed = /^\s*Failed:\s+(.+)$/.exec(text);
    if (failed && !prefixed) failedTasks.push(...failed[1].split(/,\s*/).map((t) => t.trim()));

    // The pack smoke test.
    const packLine = /^pack smoke: (\d+) passed, (\d+) failed\s*$/.exec(text);
    if (packLine) {
      seen.add('pack');
      pack = { passed: Number(packLine[1]), failed: Number(packLine[2]) };
    }
    if (/^pack smoke failed/.test(text)) seen.add('pack');

    // Vitest, per source.
    const run = open.get(source) ?? emptyRun();
    let touched = false;
    const suites = /Failed Suites (\d+)/.exec(text);
    if (suites) {
      run.failedSuites += Number(suites[1]);
      touched = true;
    }
    const files = /^\s*Test Files\s+(.*)\(\d+\)\s*$/.exec(text);
    if (files) {
      run.files = counts(files[1]);
      touched = true;
    }
    const tests =
      /^\s*Tests\s+(.*)\(\d+\)\s*$/.exec(text) ?? /^\s*Tests\s+(no tests)\s*$/.exec(text);
    if (tests) {
      run.tests = counts(tests[1]);
      touched = true;
    }
    const errors = /^\s*Errors\s+(\d+) errors?/.exec(text);
    if (errors) {
      run.errors += Number(errors[1]);
      touched = true;
    }
    if (touched) open.set(source, run);
    if (/^\s*Duration\s+\d/.test(text) && open.has(source)) {
      runs.push({ source, ...open.get(source) });
      open.delete(source);
    }
  }
  // A run cut off before its Duration line still counts what it printed.
  for (const [source, run] of open) runs.push({ source, ...run, cutOff: true });

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failedSources = new Set();
  for (const run of runs) {
    const tests = run.tests ?? { passed: 0, failed: 0, skipped: 0 };
    passed += tests.passed;
    skipped += tests.skipped;
    // Each failed test, each suite that could not run (collect error, failing hook), each
    // unhandled error; at least one per failed test file whatever vitest called it.
    const units = Math.max(tests.failed + run.failedSuites + run.errors, run.files?.failed ?? 0);
    const name = run.source === '' ? 'vitest' : run.source;
    if (units > 0) {
      failed += units;
      failedSources.add(run.source);
      const parts = [];
      if (tests.failed) parts.push(`${tests.failed} failed test${tests.failed > 1 ? 's' : ''}`);
      if (run.failedSuites) {
        parts.push(
          `${run.failedSuites} suite${run.failedSuites > 1 ? 's' : ''} that did not run (import error or failing beforeAll/afterAll)${tests.skipped ? `, ${tests.skipped} tests skipped` : ''}`,
        );
      }
      if (run.errors) parts.push(`${run.errors} unhandled error${run.errors > 1 ? 's' : ''}`);
      if (parts.length === 0) parts.push(`${run.files.failed} failed test files`);
      failures.push(`${name}: ${parts.join('; ')}`);
    } else if (run.cutOff && !run.tests) {
      failed += 1;
      failedSources.add(run.source);
      failures.push(`${name}: the run stopped before its summary`);
    }
  }
  if (biomeErrors > 0) {
    failed += 1;
    failures.push(`lint: Biome found ${biomeErrors} error${biomeErrors > 1 ? 's' : ''}`);
  }
  if (docsStale) {
    failed += 1;
    failures.push(`docs: stale: ${docsStale}`);
  }
  for (const task of failedTasks) {
    // A test task whose failures were counted above is not counted twice.
    if (failedSources.has(task)) continue;
    failed += 1;
    failures.push(`${task} failed`);
  }
  if (turboTotals) {
    const cancelled = turboTotals.total - turboTotals.successful - failedTasks.length;
    if (cancelled > 0) {
      failed += cancelled;
      failures.push(
        `turbo: ${cancelled} task${cancelled > 1 ? 's' : ''} did not run (cancelled after a failure)`,
      );
    }
  }
  if (pack) {
    passed += pack.passed;
    if (pack.failed > 0) {
      failed += pack.failed;
      failures.push(
        `pack smoke test: ${pack.failed} check${pack.failed > 1 ? 's' : ''} failed or did not run`,
      );
    }
  } else if (seen.has('pack')) {
    failed += 1;
    failures.push('pack smoke test: failed without a count');
  }
  if (browserStarted) {
    seen.add('browser');
    if (!runs.some((run) => run.source === 'browser' && run.tests)) {
      failed += 1;
      failures.push('browser suite: did not start (no test ran; see the log above)');
    }
  }
  const missing = (options.expect ?? []).filter((stage) => !seen.has(stage));
  if (missing.length > 0) {
    failed += missing.length;
    failures.push(`did not run: ${missing.map((stage) => STAGE_NAMES[stage] ?? stage).join(', ')}`);
  }
  if (options.status !== undefined && options.status !== 0 && failed === 0) {
    failed = 1;
    failures.push(
      `the command exited with status ${options.status}, and the log shows no failure: read it`,
    );
  }
  const line = `Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
  return { passed, failed, skipped, runs: runs.length + (pack ? 1 : 0), failures, line };
}

function main(argv) {
  const args = [...argv];
  const options = {};
  let file;
  while (args.length > 0) {
    const arg = args.shift();
    if (arg === '--status') options.status = Number(args.shift());
    else if (arg === '--expect') options.expect = args.shift().split(',').filter(Boolean);
    else file = arg;
  }
  const result = summarize(readFileSync(file ?? 0, 'utf8'), options);
  console.log(`\n${result.runs} test runs`);
  if (result.failures.length > 0) {
    console.log('Failures:');
    for (const failure of result.failures) console.log(`  - ${failure}`);
  }
  console.log(result.line);
  return result.failed > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv.slice(2));
}
