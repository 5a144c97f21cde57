/**
 * `pnpm bench`: training throughput of the trainer on the best backend found,
 * against the project's PyTorch reference on the CPU, plus where the time goes.
 * Config: 4 layers, 4 heads, d=128, context 128, batch 16, character vocabulary.
 */
import { availableParallelism } from 'node:os';
import { describeBackend, initBackend, measurePeakFlops } from '@gpt2/backends';
import { loadBrownCorpusText } from '@gpt2/corpora';
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import { flopsPerToken, GPT2Model, resolveConfig } from '@gpt2/model';
import { runReference } from '@gpt2/reference';
import * as tf from '@tensorflow/tfjs-core';
import { createTrainer, type StepEvent } from '../src/index.js';

const WARMUP_STEPS = 2;
const TIMED_STEPS = 5;
const BATCH = 16;
const CONTEXT = 128;

/**
 * PyTorch at its best thread count: on a shared 2-core machine 2 threads can
 * be slower than 1, and the ratio should not flatter us.
 */
function pytorchReference(
  vocabSize: number,
): { msPerStep: number; tokensPerSecond: number; threads: number } | string {
  let best: { msPerStep: number; tokensPerSecond: number; threads: number } | undefined;
  for (const threads of [...new Set([1, availableParallelism()])]) {
    const result = runReference('bench_step.py', {
      n_layer: 4,
      n_head: 4,
      n_embd: 128,
      block_size: CONTEXT,
      batch_size: BATCH,
      vocab_size: vocabSize,
      steps: 5,
      threads,
    });
    if (typeof result === 'string') return result;
    if (!best || result.ms_per_step! < best.msPerStep) {
      best = {
        msPerStep: result.ms_per_step!,
        tokensPerSecond: result.tokens_per_s,
        threads: result.threads,
      };
    }
  }
  return best ?? 'failed (no run)';
}

const backend = await initBackend('auto');
console.log(`backend: ${describeBackend(backend)}`);
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
console.log(
  `\nTraining step, 4 layers, 4 heads, d=128, context ${CONTEXT}, batch ${BATCH}, vocab ${chars.length} (characters)`,
);
console.log(
  `model FLOPs/token (training): ${fmt(flopsPerToken(config, { training: true }))}; peak (matMul 512², best of 3): ${fmt(peakFlops / 1e9, 1)} GFLOP/s`,
);
console.log('| implementation | ms/step | tokens/s | MFU | vs PyTorch |');
console.log('|---|---:|---:|---:|---:|');
if (typeof reference === 'string') {
  console.log(
    `| @gpt2/trainer (${backend.name}) | ${fmt(msPerStep)} | ${fmt(tokensPerSecond)} | ${(mfu * 100).toFixed(1)}% | — |`,
  );
  console.log(`PyTorch reference: ${reference}`);
} else {
  console.log(
    `| @gpt2/trainer (${backend.name}) | ${fmt(msPerStep)} | ${fmt(tokensPerSecond)} | ${(mfu * 100).toFixed(1)}% | ${(tokensPerSecond / reference.tokensPerSecond).toFixed(3)}× |`,
  );
  console.log(
    `| PyTorch ${'1.13'} CPU (${reference.threads} threads) | ${fmt(reference.msPerStep)} | ${fmt(reference.tokensPerSecond)} | — | 1× |`,
  );
}
console.log(`\nTop kernels of one profiled step (${fmt(totalKernelMs)} ms of kernel time):`);
console.log('| kernel | ms | share | calls |');
console.log('|---|---:|---:|---:|');
for (const [name, { ms, calls }] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8)) {
  console.log(`| ${name} | ${fmt(ms)} | ${((ms / totalKernelMs) * 100).toFixed(1)}% | ${calls} |`);
}
