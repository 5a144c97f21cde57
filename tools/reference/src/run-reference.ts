/**
 * Runs one of the PyTorch reference benchmarks (bench_step.py,
 * bench_generate.py) with Debian's /usr/bin/python3 and returns the JSON it
 * prints last, or a one-line reason why no figure came back. The package
 * benchmarks call this so that they print the peer figure beside their own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter: the `python3` first on PATH may lack torch. */
export const REFERENCE_PYTHON = '/usr/bin/python3';

/** The Python scripts of the reference (they sit in `tools/reference/`, beside `src/`). */
export type ReferenceScript =
  | 'bench_step.py'
  | 'bench_generate.py'
  | 'bench_generate_folder.py'
  | 'bench_matmul.py'
  | 'check_checkpoint.py'
  | 'check_llmc.py'
  | 'check_lora_adapter.py'
  | 'export_onnx.py'
  | 'make_fixtures.py'
  | 'make_lora_fixtures.py'
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
  /** torch.__version__ of the run. */
  torch?: string;
  [key: string]: unknown;
}

/**
 * Run a reference benchmark with `options` (JSON on argv) and return the JSON
 * it prints last, or a one-line reason why no figure came back.
 */
export function runReference(
  script: 'bench_step.py' | 'bench_generate.py' | 'bench_generate_folder.py' | 'bench_matmul.py',
  options: Record<string, unknown>,
  timeoutMs = 600_000,
  env: Record<string, string> = {},
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
    env: {
      ...process.env,
      ...(threads > 1 ? { OMP_WAIT_POLICY: 'PASSIVE' } : {}),
      ...env,
    },
  });
  if (run.status !== 0) {
    return `failed (exit ${run.status}: ${run.stderr.trim().split('\n').at(-1) ?? ''})`;
  }
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as ReferenceResult;
}

/** The reference at each thread count tried, and the fastest of them. */
export interface BestReference {
  best: ReferenceResult;
  /** Every run, by thread count. */
  runs: ReferenceResult[];
}

/**
 * PyTorch at its best thread count: 1 and every core (2 on our machines), the
 * multi-threaded runs with `OMP_WAIT_POLICY=PASSIVE` (idle OpenMP threads
 * sleep instead of spinning, which on a 2-core machine otherwise steals the
 * core the other thread needs). Which count wins differs by workload (small
 * decode steps favour 1), so a ratio against one fixed count would flatter us.
 */
export function runReferenceAtBestThreads(
  script: 'bench_step.py' | 'bench_generate.py',
  options: Record<string, unknown>,
  timeoutMs = 600_000,
): BestReference | string {
  const runs: ReferenceResult[] = [];
  for (const threads of [...new Set([1, availableParallelism()])]) {
    const result = runReference(script, { ...options, threads }, timeoutMs);
    if (typeof result === 'string') return result;
    runs.push(result);
  }
  const best = runs.reduce((a, b) => (b.tokens_per_s > a.tokens_per_s ? b : a));
  return { best, runs };
}

/** `1 thread 410 tok/s, 2 threads 380 tok/s` for a bench's notes. */
export function describeThreadRuns(reference: BestReference): string {
  return reference.runs
    .map((r) => `${r.threads} thread${r.threads > 1 ? 's' : ''} ${r.tokens_per_s.toFixed(1)} tok/s`)
    .join(', ');
}
