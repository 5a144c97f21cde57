/**
 * `pnpm bench`: training throughput of the trainer on the best backend found
 * (on the native backend, at 1 thread and at every core, with wasm + OpenBLAS
 * beside it), against the project's PyTorch reference on the CPU at 1 and 2
 * threads, two rounds interleaved, best of each; plus where the time goes. Config: 4 layers, 4 heads, d=128, context 128, batch 16,
 * character vocabulary.
 */
import { measurePeakFlops } from '@gpt2/backends';
import { loadBrownCorpusText } from '@gpt2/corpora';
import { flopsPerToken, resolveConfig } from '@gpt2/model';
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

const BATCH = 16;
const CONTEXT = 128;

const text = await loadBrownCorpusText();
const chars = [...new Set(text)].sort();
const index = new Map(chars.map((c, i) => [c, i]));
const bench: TrainingBench = {
  config: resolveConfig({
    preset: 'gpt2-tiny',
    vocabSize: chars.length,
    nPositions: CONTEXT,
    nEmbd: 128,
    nLayer: 4,
    nHead: 4,
  }),
  batch: BATCH,
  context: CONTEXT,
  tokens: Int32Array.from(text.slice(0, 2_000_000), (c) => index.get(c)!),
  warmup: 2,
  timed: 5,
};
const loadBefore = await loadAverage();
const backend = await activeBackend();
const { ours, pytorch } = await timeInterleaved(bench, backend, {
  rounds: 2,
  pytorchSteps: 5,
  withWasm: true,
});
const peakFlops = await measurePeakFlops();
const breakdown = await kernelBreakdown(bench);
const perToken = flopsPerToken(bench.config, { training: true });

console.log(
  `\nTraining step, 4 layers, 4 heads, d=128, context ${CONTEXT}, batch ${BATCH}, vocab ${chars.length} (characters); load average ${loadBefore} before, ${await loadAverage()} after`,
);
console.log(
  `model FLOPs/token (training): ${fmt(perToken)}; peak (matMul 512², best of 3): ${fmt(peakFlops / 1e9, 1)} GFLOP/s`,
);
printComparison(ours, pytorch, perToken, peakFlops);
printBreakdown(breakdown, 10);
