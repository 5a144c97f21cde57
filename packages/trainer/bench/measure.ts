/**
 * Shared by the trainer benches: time training steps of @gpt2/trainer on
 * the active backend (at each thread count the native backend allows),
 * time the PyTorch reference on the same config at 1 and 2 threads, and
 * say where our step's time goes.
 */
import { availableParallelism } from 'node:os';
import { type BackendInfo, describeBackend, initBackend } from '@gpt2/backends';
import { createNativeBackend, timeNativeKernels } from '@gpt2/backends/native';
import { peakRssBytes, resetPeakRss } from '@gpt2/backends/testing';
import { createWasmBackend } from '@gpt2/backends/wasm';
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import { type GPT2Config, GPT2Model } from '@gpt2/model';
import { runReference } from '@gpt2/reference';
import * as tf from '@tensorflow/tfjs-core';
import { createTrainer, type StepEvent } from '../src/index.js';

export interface StepTiming {
  label: string;
  threads: number;
  msPerStep: number;
  tokensPerSecond: number;
  /** The process's largest resident set during the run, in bytes (where the OS reports it). */
  peakRssBytes?: number;
}

export interface TrainingBench {
  config: GPT2Config;
  batch: number;
  context: number;
  tokens: Int32Array;
  warmup: number;
  timed: number;
  /** Recompute each block in the backward pass (the trainer's `recompute`). Default false. */
  recompute?: boolean;
}

/** The thread counts to try: 1 and every core (deduplicated). */
export const THREAD_COUNTS = [...new Set([1, availableParallelism()])];

/** The largest resident set seen at the end of a timed run, in bytes. */
export let peakRss = 0;

/** Mean ms per step over `timed` steps after `warmup`, on the backend that is active now. */
export async function timeTraining(
  bench: TrainingBench,
  label: string,
  threads: number,
): Promise<StepTiming> {
  const rssReset = resetPeakRss();
  const model = GPT2Model.create(bench.config);
  const steps: StepEvent[] = [];
  const trainer = createTrainer({
    model,
    train: createBatchSampler(tokenDatasetFromArray(bench.tokens), {
      batchSize: bench.batch,
      blockSize: bench.context,
    }),
    config: {
      maxSteps: bench.warmup + bench.timed,
      schedule: { type: 'constant', lr: 3e-4 },
      recompute: bench.recompute ?? false,
    },
    onEvent: (e) => e.type === 'step' && steps.push(e),
  });
  await trainer.run();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const runPeak = rssReset ? peakRssBytes() : undefined;
  trainer.dispose();
  model.dispose();
  const timed = steps.slice(bench.warmup);
  const msPerStep =
    timed.reduce((s, e) => s + (e.tokens * 1000) / e.tokensPerSecond, 0) / timed.length;
  return {
    label,
    threads,
    msPerStep,
    tokensPerSecond: (bench.batch * bench.context * 1000) / msPerStep,
    peakRssBytes: runPeak,
  };
}

/** The backend `'auto'` picks, printed once. */
export async function activeBackend(): Promise<BackendInfo> {
  const backend = await initBackend('auto');
  console.log(`backend: ${describeBackend(backend)}`);
  return backend;
}

/**
 * Ours at each thread count: the native backend takes a thread count (and
 * wasm + OpenBLAS runs once beside it, for reference); other backends run
 * once as `initBackend('auto')` set them up.
 */
export async function timeOurs(
  bench: TrainingBench,
  backend: BackendInfo,
  withWasm: boolean,
  threadCounts: number[] = THREAD_COUNTS,
): Promise<StepTiming[]> {
  if (backend.name !== 'native') {
    await initBackend('auto');
    return [await timeTraining(bench, `@gpt2/trainer (${backend.name})`, backend.threads)];
  }
  const runs: StepTiming[] = [];
  for (const threads of threadCounts) {
    // Each run starts from an empty free-buffer cache, so its peak is its own.
    (tf.backend() as { emptyCache?: () => void }).emptyCache?.();
    await initBackend(createNativeBackend({ threads }));
    runs.push(await timeTraining(bench, '@gpt2/trainer (native)', threads));
  }
  if (withWasm) {
    await initBackend(createWasmBackend({ blasThreads: 1 }));
    runs.push(await timeTraining(bench, '@gpt2/trainer (wasm + OpenBLAS, for reference)', 1));
  }
  await initBackend('native');
  return runs;
}

/** PyTorch's reference on the same config at 1 and 2 threads (OMP_WAIT_POLICY=PASSIVE). */
export function timePyTorch(bench: TrainingBench, steps: number): StepTiming[] | string {
  const runs: StepTiming[] = [];
  for (const threads of THREAD_COUNTS) {
    const result = runReference(
      'bench_step.py',
      {
        n_layer: bench.config.nLayer,
        n_head: bench.config.nHead,
        n_embd: bench.config.nEmbd,
        block_size: bench.context,
        batch_size: bench.batch,
        vocab_size: bench.config.vocabSize,
        steps,
        threads,
      },
      3_600_000,
    );
    if (typeof result === 'string') return result;
    runs.push({
      label: `PyTorch ${result.torch ?? ''} CPU`.trim(),
      threads: result.threads,
      msPerStep: result.ms_per_step!,
      tokensPerSecond: result.tokens_per_s,
      peakRssBytes: typeof result.peak_rss_bytes === 'number' ? result.peak_rss_bytes : undefined,
    });
  }
  return runs;
}

/**
 * `rounds` rounds of ours then PyTorch, interleaved so that a change in the
 * machine's load hits both; the best time of each implementation and thread
 * count is kept.
 */
export async function timeInterleaved(
  bench: TrainingBench,
  backend: BackendInfo,
  options: {
    rounds: number;
    pytorchSteps: number;
    withWasm: boolean;
    /** Our thread counts (default {@link THREAD_COUNTS}); PyTorch always runs at 1 and every core. */
    oursThreads?: number[];
  },
): Promise<{ ours: StepTiming[]; pytorch: StepTiming[] | string }> {
  const best = new Map<string, StepTiming>();
  let failure: string | undefined;
  const keep = (run: StepTiming) => {
    const key = `${run.label}/${run.threads}`;
    const previous = best.get(key);
    if (!previous || run.msPerStep < previous.msPerStep) best.set(key, run);
  };
  for (let round = 0; round < options.rounds; round++) {
    for (const run of await timeOurs(bench, backend, options.withWasm, options.oursThreads)) {
      keep(run);
    }
    // Give the cached tensor storage back before PyTorch needs the memory.
    (tf.backend() as { emptyCache?: () => void }).emptyCache?.();
    const pytorch = timePyTorch(bench, options.pytorchSteps);
    if (typeof pytorch === 'string') failure = pytorch;
    else for (const run of pytorch) keep(run);
  }
  const runs = [...best.values()];
  const isOurs = (run: StepTiming) => run.label.startsWith('@gpt2');
  return { ours: runs.filter(isOurs), pytorch: failure ?? runs.filter((run) => !isOurs(run)) };
}

/** One step timed per kernel, after one warm-up step: native kernels by their own timer, others by tfjs's profiler. */
export async function kernelBreakdown(
  bench: TrainingBench,
): Promise<{ totalMs: number; kernels: [string, { ms: number; calls: number }][] }> {
  const model = GPT2Model.create(bench.config);
  const oneStep = (seed: number) =>
    createTrainer({
      model,
      train: createBatchSampler(tokenDatasetFromArray(bench.tokens), {
        batchSize: bench.batch,
        blockSize: bench.context,
        seed,
      }),
      config: { maxSteps: 1, schedule: { type: 'constant', lr: 3e-4 } },
    });
  const warmup = oneStep(1);
  await warmup.run();
  warmup.dispose();
  const trainer = oneStep(2);
  let kernels: Map<string, { ms: number; calls: number }>;
  if (tf.getBackend() === 'native') {
    ({ kernels } = await timeNativeKernels(() => trainer.run()));
  } else {
    kernels = new Map();
    const profile = await tf.profile(async () => {
      await trainer.run();
    });
    for (const kernel of profile.kernels) {
      const entry = kernels.get(kernel.name) ?? { ms: 0, calls: 0 };
      entry.ms += Number(kernel.kernelTimeMs) || 0;
      entry.calls += 1;
      kernels.set(kernel.name, entry);
    }
  }
  trainer.dispose();
  model.dispose();
  const sorted = [...kernels].sort((a, b) => b[1].ms - a[1].ms);
  return { totalMs: sorted.reduce((s, [, e]) => s + e.ms, 0), kernels: sorted };
}

export const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The comparison table: every run, and ours (best) against PyTorch (best) as a ratio. */
export function printComparison(
  ours: StepTiming[],
  pytorch: StepTiming[] | string,
  flopsPerToken: number,
  peakFlops?: number,
): void {
  const best = (runs: StepTiming[]) => runs.reduce((a, b) => (b.msPerStep < a.msPerStep ? b : a));
  const oursBest = best(ours.filter((run) => !run.label.includes('reference')));
  const reference = typeof pytorch === 'string' ? undefined : best(pytorch);
  console.log(
    '| implementation | threads | ms/step | tokens/s | MFU | peak RSS GiB | vs PyTorch (best) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const run of [...ours, ...(typeof pytorch === 'string' ? [] : pytorch)]) {
    const utilisation = peakFlops ? (flopsPerToken * run.tokensPerSecond) / peakFlops : undefined;
    // Above 100% the peak was measured low (a busy machine): no figure beats a wrong one.
    const mfu =
      utilisation === undefined
        ? '—'
        : utilisation <= 1
          ? `${(utilisation * 100).toFixed(1)}%`
          : 'n/a (above the measured peak: re-run quietly)';
    const ratio = reference
      ? `${(run.tokensPerSecond / reference.tokensPerSecond).toFixed(3)}×`
      : '—';
    console.log(
      `| ${run.label} | ${run.threads} | ${fmt(run.msPerStep)} | ${fmt(run.tokensPerSecond)} | ${mfu} | ${run.peakRssBytes === undefined ? '—' : fmt(run.peakRssBytes / 1024 ** 3, 2)} | ${ratio} |`,
    );
  }
  if (reference) {
    console.log(
      `\nours at its best (${oursBest.threads} thread${oursBest.threads === 1 ? '' : 's'}) / PyTorch at its best (${reference.threads} thread${reference.threads === 1 ? '' : 's'}): **${(oursBest.tokensPerSecond / reference.tokensPerSecond).toFixed(3)}×**`,
    );
  } else {
    console.log(`PyTorch reference: ${pytorch}`);
  }
}

/** The top kernels of one step. */
export function printBreakdown(
  breakdown: Awaited<ReturnType<typeof kernelBreakdown>>,
  top = 10,
): void {
  console.log(`\nTop kernels of one step (${fmt(breakdown.totalMs)} ms of kernel time):`);
  console.log('| kernel | ms | share | calls |');
  console.log('|---|---:|---:|---:|');
  for (const [name, { ms, calls }] of breakdown.kernels.slice(0, top)) {
    console.log(
      `| ${name} | ${fmt(ms, 1)} | ${((ms / breakdown.totalMs) * 100).toFixed(1)}% | ${fmt(calls)} |`,
    );
  }
}

/** The load average, for the record: timings on a shared machine are only comparable within one run. */
export async function loadAverage(): Promise<string> {
  const { loadavg } = await import('node:os');
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
}
