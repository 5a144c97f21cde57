/**
 * `pnpm bench`: training throughput of the trainer on the best backend found,
 * against the project's PyTorch reference on the CPU, plus where the time goes.
 * Config: 4 layers, 4 heads, d=128, context 128, batch 16, character vocabulary.
 */
import { loadavg } from 'node:os';
import { describeBackend, initBackend, measurePeakFlops } from '@gpt2/backends';
import { loadBrownCorpusText } from '@gpt2/corpora';
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import { flopsPerToken, GPT2Model, resolveConfig } from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import {
  describeThreadRuns,
  runReferenceAtBestThreads,
} from '../../../tools/reference/run-reference.js';
import { createTrainer, type StepEvent } from '../src/index.js';

const WARMUP_STEPS = 2;
const TIMED_STEPS = 5;
const BATCH = 16;
const CONTEXT = 128;

/** PyTorch at its best thread count (1 or all, OMP_WAIT_POLICY=PASSIVE): the ratio must not flatter us. */
function pytorchReference(vocabSize: number) {
  return runReferenceAtBestThreads('bench_step.py', {
    n_layer: 4,
    n_head: 4,
    n_embd: 128,
    block_size: CONTEXT,
    batch_size: BATCH,
    vocab_size: vocabSize,
    steps: 5,
  });
}

const backend = await initBackend('auto');
console.log(`backend: ${describeBackend(backend)}`);
console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const text = await loadBrownCorpusText();
const chars = [...new Set(text)].sort();
const index = new Map(chars.map((c, i) => [c, i]));
const tokens = Int32Array.from(text.slice(0, 2_000_000), (c) => index.get(c)!);
const config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: chars.length,
  nPositions: CONTEXT,
  nEmbd: 128,
  nLayer: 4,
  nHead: 4,
});
// The machine's best: all of the backend's threads, sizes doubled until sgemm saturates.
const peakFlops = await measurePeakFlops();
const model = GPT2Model.create(config);
const steps: StepEvent[] = [];
const trainer = createTrainer({
  model,
  train: createBatchSampler(tokenDatasetFromArray(tokens), {
    batchSize: BATCH,
    blockSize: CONTEXT,
  }),
  peakFlops,
  config: { maxSteps: WARMUP_STEPS + TIMED_STEPS, schedule: { type: 'constant', lr: 3e-4 } },
  onEvent: (e) => e.type === 'step' && steps.push(e),
});
await trainer.run();
const timed = steps.slice(WARMUP_STEPS);
const msPerStep =
  timed.reduce((s, e) => s + (e.tokens * 1000) / e.tokensPerSecond, 0) / timed.length;
const tokensPerSecond = (BATCH * CONTEXT * 1000) / msPerStep;
const mfu = (flopsPerToken(config, { training: true }) * tokensPerSecond) / peakFlops;

// Where the time goes: one more warm step (forward + backward + AdamW) under the profiler.
const profiled = createTrainer({
  model,
  train: createBatchSampler(tokenDatasetFromArray(tokens), {
    batchSize: BATCH,
    blockSize: CONTEXT,
    seed: 2,
  }),
  config: { maxSteps: 1, schedule: { type: 'constant', lr: 3e-4 } },
});
const profile = await tf.profile(async () => {
  await profiled.run();
});
profiled.dispose();
const byKernel = new Map<string, { ms: number; calls: number }>();
for (const kernel of profile.kernels) {
  const entry = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
  entry.ms += Number(kernel.kernelTimeMs) || 0;
  entry.calls += 1;
  byKernel.set(kernel.name, entry);
}
const totalKernelMs = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
trainer.dispose();
model.dispose();

const reference = pytorchReference(chars.length);
const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
// MFU above 100% means the peak was measured low (a busy machine): say so instead of printing it.
const mfuCell =
  mfu <= 1
    ? `${(mfu * 100).toFixed(1)}%`
    : `n/a (the step beat the measured peak; re-run on a quiet machine)`;
console.log(
  `\nTraining step, 4 layers, 4 heads, d=128, context ${CONTEXT}, batch ${BATCH}, vocab ${chars.length} (characters)`,
);
console.log(
  `model FLOPs/token (training): ${fmt(flopsPerToken(config, { training: true }))}; peak (best square matMul, sizes 512² up to saturation, all of the backend's threads): ${fmt(peakFlops / 1e9, 1)} GFLOP/s`,
);
console.log('| implementation | ms/step | tokens/s | MFU | vs PyTorch |');
console.log('|---|---:|---:|---:|---:|');
if (typeof reference === 'string') {
  console.log(
    `| @gpt2/trainer (${backend.name}) | ${fmt(msPerStep)} | ${fmt(tokensPerSecond)} | ${mfuCell} | — |`,
  );
  console.log(`PyTorch reference: ${reference}`);
} else {
  const { best } = reference;
  console.log(
    `| @gpt2/trainer (${backend.name}) | ${fmt(msPerStep)} | ${fmt(tokensPerSecond)} | ${mfuCell} | ${(tokensPerSecond / best.tokens_per_s).toFixed(3)}× |`,
  );
  console.log(
    `| PyTorch ${best.torch ?? '(version not reported)'} CPU (${best.threads} thread${best.threads > 1 ? 's' : ''}) | ${fmt(best.ms_per_step ?? Number.NaN)} | ${fmt(best.tokens_per_s)} | — | 1× |`,
  );
  console.log(`PyTorch at each thread count: ${describeThreadRuns(reference)}`);
}
console.log(
  `load average at end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(`\nTop kernels of one profiled step (${fmt(totalKernelMs)} ms of kernel time):`);
console.log('| kernel | ms | share | calls |');
console.log('|---|---:|---:|---:|');
for (const [name, { ms, calls }] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8)) {
  console.log(`| ${name} | ${fmt(ms)} | ${((ms / totalKernelMs) * 100).toFixed(1)}% | ${calls} |`);
}
