#!/usr/bin/env node
// Sums the test counts that every runner in a CI log printed (vitest's
// "Tests  N passed | M failed" lines per package, the pack smoke test's line)
// into one closing line, "Tests: N passed, M failed", so a reader of the CI
// log (or a tool) sees the whole suite's result at the end.
import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

const log = stripVTControlCharacters(readFileSync(process.argv[2] ?? 0, 'utf8'));
let passed = 0;
let failed = 0;
let skipped = 0;
let runs = 0;
for (const line of log.split('\n')) {
  const vitest = /\bTests\s+(.*)\(\d+\)\s*$/.exec(line);
  const plain = /:\s*(\d+) passed, (\d+) failed\s*$/.exec(line);
  if (vitest) {
    runs++;
    for (const [, count, kind] of vitest[1].matchAll(/(\d+) (passed|failed|skipped)/g)) {
      if (kind === 'passed') passed += Number(count);
      else if (kind === 'failed') failed += Number(count);
      else skipped += Number(count);
    }
  } else if (plain) {
    runs++;
    passed += Number(plain[1]);
    failed += Number(plain[2]);
  }
}
console.log(`\n${runs} test runs`);
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
