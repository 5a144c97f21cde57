/**
 * `pnpm bench` (second part): full fine-tuning of a real GPT-2 size, ours
 * against PyTorch's reference on the same config (1 and 2 threads, the
 * better counting), with tokens/s, MFU and each side's peak RSS, and where
 * our step's time goes. Random weights at the real shapes (speed does not
 * depend on the values), dropout off on both sides (the reference has none),
 * GPT-2's vocabulary, the trainer's defaults (chunked cross-entropy, AdamW in
 * place).
 *
 *   bench/finetune.ts                       gpt2 (124M) at 2 × 512; with GPT2_BENCH_HEAVY=1 also
 *                                           gpt2 at 8 × 512 and gpt2-medium at 2 × 512, each in its
 *                                           own process (its own peak RSS)
 *   bench/finetune.ts B T [preset] [--recompute] [--threads=N] [--no-breakdown]
 *                                           one config; --threads runs ours at N threads only
 *
 * Ours runs first, then gives its memory back, then PyTorch runs in a child
 * process: the two never hold their peaks at the same time.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { measurePeakFlops } from '@gpt2/backends';
import { flopsPerToken, type PresetName, resolveConfig } from '@gpt2/model';
import {
  activeBackend,
  fmt,
  kernelBreakdown,
  loadAverage,
  printBreakdown,
  printComparison,
  type TrainingBench,
  timeInterleaved,
} from './measure.js';

/**
 * The heavy configs `GPT2_BENCH_HEAVY=1` adds: the 124M target and
 * gpt2-medium, with recomputation, as `gpt2 train` picks it for them on a
 * 24 GB machine (without it, 124M at 8 × 512 reached 22.5 GiB and was killed); ours on every
 * core only (one step is ~a minute; PyTorch still runs at 1 and 2 threads).
 */
const HEAVY_RUNS = [
  ['8', '512', 'gpt2', '--recompute', `--threads=${availableParallelism()}`, '--no-breakdown'],
  [
    '2',
    '512',
    'gpt2-medium',
    '--recompute',
    `--threads=${availableParallelism()}`,
    '--no-breakdown',
  ],
];

const args = process.argv.slice(2);
const positional = args.filter((arg) => !arg.startsWith('--'));
const flag = (name: string) => args.find((arg) => arg.startsWith(`--${name}`));

async function runOne(): Promise<void> {
  const [batchArg = '2', contextArg = '512', preset = 'gpt2'] = positional;
  const batch = Number(batchArg);
  const context = Number(contextArg);
  const threadsFlag = flag('threads=');
  const config = resolveConfig({
    preset: preset as PresetName,
    nPositions: context,
    embdPdrop: 0,
    attnPdrop: 0,
    residPdrop: 0,
  });
  const bench: TrainingBench = {
    config,
    batch,
    context,
    tokens: Int32Array.from(
      { length: batch * context * 8 + 1 },
      (_, i) => (i * 7919) % config.vocabSize,
    ),
    warmup: 1,
    timed: 2,
    recompute: flag('recompute') !== undefined,
  };
  const loadBefore = await loadAverage();
  const backend = await activeBackend();
  // The denominator of MFU: the backend's best square matMul on all its threads, measured now.
  const peakFlops = await measurePeakFlops();
  const { ours, pytorch } = await timeInterleaved(bench, backend, {
    rounds: 1,
    pytorchSteps: 2,
    withWasm: false,
    oursThreads: threadsFlag ? [Number(threadsFlag.slice('--threads='.length))] : undefined,
  });
  const breakdown = flag('no-breakdown') ? undefined : await kernelBreakdown(bench);
  const perToken = flopsPerToken(config, { training: true });
  console.log(
    `\nFine-tuning ${preset} (${fmt(config.nLayer)} layers, d=${config.nEmbd}), batch ${batch} × context ${context}, dropout off, ${bench.recompute ? 'recompute on' : 'no recompute'}, chunked cross-entropy, AdamW in place; 1 warm-up + ${bench.timed} timed steps; load average ${loadBefore} before, ${await loadAverage()} after`,
  );
  console.log(
    `model FLOPs/token (training): ${fmt(perToken)}; peak (best square matMul, all threads): ${fmt(peakFlops / 1e9, 1)} GFLOP/s; peak RSS: each run's own (ours in this process after giving the previous run's memory back, PyTorch in its child)`,
  );
  printComparison(ours, pytorch, perToken, peakFlops);
  if (breakdown) printBreakdown(breakdown, 12);
}

if (positional.length > 0) {
  await runOne();
} else {
  await runOne();
  if (process.env.GPT2_BENCH_HEAVY === '1') {
    const script = fileURLToPath(import.meta.url);
    for (const run of HEAVY_RUNS) {
      console.log(`\n--- bench/finetune.ts ${run.join(' ')} ---`);
      const child = spawnSync(process.execPath, [...process.execArgv, script, ...run], {
        stdio: 'inherit',
      });
      if (child.status !== 0) console.log(`(exited with ${child.status ?? child.signal})`);
    }
  } else {
    console.log(
      '\n(GPT2_BENCH_HEAVY=1 adds gpt2 at 8 × 512 and gpt2-medium at 2 × 512: up to ~14 GiB, ~15 min)',
    );
  }
}
