/**
 * `pnpm bench` (second part): fine-tuning gpt2 (124M) at batch × context
 * (default 2 × 512, the largest that fits beside PyTorch on a shared 24 GB
 * machine until cross-entropy is chunked; `bench/finetune.ts 8 512` for
 * another), ours against
 * PyTorch's reference at 1 and 2 threads, and where our step's time goes.
 * Random weights at the real shapes (speed does not depend on the values),
 * dropout off on both sides (the reference has none), GPT-2's vocabulary.
 */
import { flopsPerToken, resolveConfig } from '@gpt2/model';
import {
  activeBackend,
  fmt,
  kernelBreakdown,
  loadAverage,
  peakRss,
  printBreakdown,
  printComparison,
  type TrainingBench,
  timeInterleaved,
} from './measure.js';

const [batch = 2, context = 512] = process.argv.slice(2).map(Number);
const config = resolveConfig({
  preset: 'gpt2',
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
};
const loadBefore = await loadAverage();
const backend = await activeBackend();
const { ours, pytorch } = await timeInterleaved(bench, backend, {
  rounds: 1,
  pytorchSteps: 2,
  withWasm: false,
});
const breakdown = await kernelBreakdown(bench);
const perToken = flopsPerToken(config, { training: true });
console.log(
  `\nFine-tuning gpt2 (124M), batch ${batch} × context ${context}, dropout off; load average ${loadBefore} before, ${await loadAverage()} after; our largest RSS at the end of a run ${fmt(peakRss / 1024 ** 3, 1)} GiB (tensor cache included)`,
);
console.log(`model FLOPs/token (training): ${fmt(perToken)}`);
printComparison(ours, pytorch, perToken);
printBreakdown(breakdown, 12);
