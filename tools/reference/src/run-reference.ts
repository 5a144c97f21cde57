/**
 * Runs one of the PyTorch reference benchmarks (bench_step.py,
 * bench_generate.py) with Debian's /usr/bin/python3 and returns the JSON it
 * prints last, or a one-line reason why no figure came back. The package
 * benchmarks call this so that they print the peer figure beside their own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter: the `python3` first on PATH may lack torch. */
export const REFERENCE_PYTHON = '/usr/bin/python3';

/** The Python scripts of the reference (they sit in `tools/reference/`, beside `src/`). */
export type ReferenceScript =
  | 'bench_step.py'
  | 'bench_generate.py'
  | 'check_checkpoint.py'
  | 'check_llmc.py'
  | 'make_fixtures.py'
  | 'write_llmc.py';

/** Absolute path of a reference script, from the sources or the build alike. */
export function referenceScript(script: ReferenceScript): string {
  return fileURLToPath(new URL(`../${script}`, import.meta.url));
}

/** The fields both reference benchmarks print. */
export interface ReferenceResult {
  threads: number;
  tokens_per_s: number;
  ms_per_step?: number;
  torch?: string;
  [key: string]: unknown;
}

/**
 * Run a reference benchmark with `options` (JSON on argv) and return the JSON
 * it prints last, or a one-line reason why no figure came back.
 */
export function runReference(
  script: 'bench_step.py' | 'bench_generate.py',
  options: Record<string, unknown>,
  timeoutMs = 600_000,
): ReferenceResult | string {
  const path = referenceScript(script);
  if (!existsSync(REFERENCE_PYTHON)) return `absent (${REFERENCE_PYTHON})`;
  if (!existsSync(path)) return `absent (${path})`;
  // OpenMP's threads spin between parallel regions by default, which on a
  // shared 2-core machine steals the cores from the other thread.
  const threads = Number(options.threads ?? 1);
  const run = spawnSync(REFERENCE_PYTHON, [path, JSON.stringify(options)], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: threads > 1 ? { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } : process.env,
  });
  if (run.status !== 0) {
    return `failed (exit ${run.status}: ${run.stderr.trim().split('\n').at(-1) ?? ''})`;
  }
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as ReferenceResult;
}
