/**
 * WebGPU: tfjs's stock kernels against @gpt2/backends' fused WGSL kernels, on
 * the WebGPU adapter at hand (Dawn on SwiftShader on a machine without a GPU),
 * in one run, each variant in its own process:
 *
 *   - kernel dispatches per training step (the trainer's step: loss,
 *     gradients, global norm, clipped AdamW) and per decoded token (a cached
 *     forward pass of one token, last position only, and its argmax), counted
 *     on the device (`countWebGpuCommands`);
 *   - the peak of `tf.memory().numBytes`, and of the GPU buffers in use,
 *     during one training step.
 *
 * Both at the shapes of gpt2 (124M), batch 1 × 1024 tokens. SwiftShader runs
 * matMuls at ~0.2 GFLOP/s, and a 124M step is ~0.8 TFLOP, so the dispatches
 * are recorded but not run (`skipDispatches`, a dry run): counts, tensors and
 * buffers are those of the real step, the values are not computed. The same
 * counts with the arithmetic run are checked at a small size by
 * `src/webgpu-fused.test.ts`; `--compute` runs it here too (any size).
 *
 *   pnpm --filter @gpt2/trainer bench:webgpu [--layers 12] [--context 1024] [--compute]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { countWebGpuCommands, initBackend, trackPeakMemory } from '@gpt2/backends';
import { createWebgpuBackend } from '@gpt2/backends/webgpu';
import { GPT2Model, resolveConfig } from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingBatchSource } from '../src/batch-source.js';
import { createTrainer } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    variant: { type: 'string' },
    layers: { type: 'string', default: '12' },
    embedding: { type: 'string', default: '768' },
    heads: { type: 'string', default: '12' },
    vocabulary: { type: 'string', default: '50257' },
    context: { type: 'string', default: '1024' },
    batch: { type: 'string', default: '1' },
    compute: { type: 'boolean', default: false },
  },
});

interface VariantResult {
  variant: string;
  kernels: string[];
  step: { dispatches: number; copies: number; submits: number; skipped: boolean };
  token: { dispatches: number; copies: number; submits: number };
  peak: { tensorBytes: number; gpuBytes?: number };
  parameters: number;
  seconds: number;
}

async function measure(variant: 'stock' | 'fused'): Promise<VariantResult> {
  const started = performance.now();
  const info = await initBackend(createWebgpuBackend({ fusedKernels: variant === 'fused' }));
  const config = resolveConfig({
    preset: 'gpt2',
    nLayer: Number(args.layers),
    nEmbd: Number(args.embedding),
    nHead: Number(args.heads),
    vocabSize: Number(args.vocabulary),
    nPositions: Number(args.context),
    embdPdrop: 0,
    attnPdrop: 0,
    residPdrop: 0,
  });
  const B = Number(args.batch);
  const T = config.nPositions;
  const model = GPT2Model.create(config, { seed: 1 });
  const parameters = [...model.parameters().values()].reduce((n, v) => n + v.size, 0);
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % config.vocabSize);
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 104729 + 1) % config.vocabSize);
  const batch: TrainingBatchSource = {
    next: async () => ({ inputs: ids, targets, batchSize: B, blockSize: T }),
    getState: () => ({}),
    setState: () => undefined,
  };
  const counter = countWebGpuCommands({ skipDispatches: !args.compute });
  const memory = trackPeakMemory();
  let skipped = false;
  // Step 1 builds the pipelines; step 2 is measured (the counters restart at step 1's event).
  const trainer = createTrainer({
    model,
    train: batch,
    config: { maxSteps: 2, schedule: { type: 'constant', lr: 1e-4 }, gradClip: 1 },
    onEvent: (event) => {
      if (event.type === 'skip') skipped = true;
      if (event.type === 'step' && event.step === 1) {
        counter.reset();
        memory.reset();
      }
    },
  });
  await trainer.run();
  const step = { ...counter.counts, skipped };
  const peak = memory.peak();
  memory.stop();
  trainer.dispose();

  // One decoded token: a cached forward pass of one token (last position only) and its argmax.
  const cache = model.createKVCache(1);
  const decode = async (id: number) => {
    const next = tf.tidy(() =>
      tf.argMax(model.forward([[id]], { cache, lastPositionOnly: true }), -1),
    );
    await next.data();
    next.dispose();
  };
  tf.tidy(() => model.forward([Array.from(ids.slice(0, 8))], { cache, lastPositionOnly: true }));
  await decode(1);
  counter.reset();
  await decode(2);
  const token = { ...counter.counts };
  counter.stop();
  cache.dispose();
  model.dispose();
  return {
    variant,
    kernels: info.kernels,
    step,
    token,
    peak,
    parameters,
    seconds: (performance.now() - started) / 1000,
  };
}

function gib(bytes: number | undefined): string {
  if (bytes === undefined) return 'n/a';
  return bytes >= 2 ** 30
    ? `${(bytes / 2 ** 30).toFixed(2)} GiB`
    : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

if (args.variant === 'stock' || args.variant === 'fused') {
  const result = await measure(args.variant);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

// The driver: each variant in a child process of its own (its own device and
// buffer pool), then the table.
const self = fileURLToPath(import.meta.url);
const forwarded = process.argv.slice(2);
const results: VariantResult[] = [];
for (const variant of ['stock', 'fused'] as const) {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, self, '--variant', variant, ...forwarded],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (child.status !== 0 || !line) {
    console.error(child.stdout.slice(-4000), child.stderr.slice(-4000));
    throw new Error(`webgpu bench: the ${variant} run failed (exit ${child.status}).`);
  }
  results.push(JSON.parse(line.slice('RESULT '.length)) as VariantResult);
}
const [stock, fused] = results as [VariantResult, VariantResult];
const mode = args.compute ? 'computed' : 'dry run: dispatches recorded, not run';
console.log(
  `\nwebgpu: stock kernels vs fused WGSL kernels — ${args.layers} layers, d=${args.embedding}, ${args.heads} heads, vocabulary ${args.vocabulary}, ${(stock.parameters / 1e6).toFixed(1)}M parameters, batch ${args.batch} × ${args.context} tokens (${mode}); load ${loadavg()[0]!.toFixed(2)}`,
);
const rows: [
  string,
  (r: VariantResult) => string | number,
  (s: VariantResult, f: VariantResult) => string,
][] = [
  [
    'dispatches per training step',
    (r) => r.step.dispatches,
    (s, f) => `${(s.step.dispatches / f.step.dispatches).toFixed(1)}× fewer`,
  ],
  ['  buffer copies per step', (r) => r.step.copies, () => ''],
  ['  queue submits per step', (r) => r.step.submits, () => ''],
  [
    'dispatches per decoded token',
    (r) => r.token.dispatches,
    (s, f) => `${(s.token.dispatches / f.token.dispatches).toFixed(1)}× fewer`,
  ],
  [
    'peak tf.memory().numBytes in a step',
    (r) => gib(r.peak.tensorBytes),
    (s, f) => `${(s.peak.tensorBytes / f.peak.tensorBytes).toFixed(2)}× lower`,
  ],
  [
    'peak GPU buffers in use in a step',
    (r) => gib(r.peak.gpuBytes),
    (s, f) =>
      s.peak.gpuBytes && f.peak.gpuBytes
        ? `${(s.peak.gpuBytes / f.peak.gpuBytes).toFixed(2)}× lower`
        : '',
  ],
];
console.log(`${'measure'.padEnd(38)}${'stock'.padStart(12)}${'fused'.padStart(12)}  ratio`);
for (const [label, value, ratio] of rows) {
  console.log(
    `${label.padEnd(38)}${String(value(stock)).padStart(12)}${String(value(fused)).padStart(12)}  ${ratio(stock, fused)}`,
  );
}
console.log(`fused kernels: ${fused.kernels.join(', ')}`);
console.log(
  `run time: stock ${stock.seconds.toFixed(0)} s, fused ${fused.seconds.toFixed(0)} s${stock.step.skipped || fused.step.skipped ? '; WARNING: a measured step was skipped (non-finite loss)' : ''}`,
);
