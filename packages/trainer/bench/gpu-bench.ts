/**
 * The webgpu half of the GPU bench (scripts/gpu-bench/run.sh): train GPT-2
 * for a few steps and generate greedily with a KV cache on WebGPU (Dawn, in
 * Node), and print one JSON line per kernel variant. The PyTorch half is
 * scripts/gpu-bench/torch_bench.py; run.sh runs both and prints the ratios.
 *
 *   --size 124m   gpt2 (124M) at batch 8 × 1024, 20 steps, 256 new tokens (the default)
 *   --size tiny   2 layers, d=64, batch 2 × 64, 4 steps, 8 new tokens (SwiftShader-sized)
 *   --variants fused,stock   which kernels (default: fused)
 *   --allow-software         accept a software adapter (SwiftShader); tiny allows it
 *   --micro-batches N        at least N micro-batches per step (gradient accumulation; by
 *                            default as few as keep the logits within one storage binding)
 *
 * Training uses the trainer's step (loss, gradients, global norm, clipped
 * AdamW); steps after the warm-up are timed from the trainer's own step
 * events. Generation: a 16-token prompt, then one token a step, the argmax
 * taken on the device and the id read back (what a greedy sampler needs).
 */
import { parseArgs } from 'node:util';
import { describeBackend, initBackend } from '@gpt2/backends';
import { createWebgpuBackend } from '@gpt2/backends/webgpu';
import { GPT2Model, resolveConfig } from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingBatchSource } from '../src/batch-source.js';
import { createTrainer } from '../src/index.js';

/** The sizes the bench knows. */
export const GPU_BENCH_SIZES = {
  '124m': {
    model: { preset: 'gpt2' as const },
    batch: 8,
    steps: 20,
    warmup: 2,
    prompt: 16,
    newTokens: 256,
  },
  tiny: {
    model: {
      preset: 'gpt2' as const,
      nLayer: 2,
      nEmbd: 64,
      nHead: 4,
      vocabSize: 512,
      nPositions: 64,
    },
    batch: 2,
    steps: 4,
    warmup: 1,
    prompt: 8,
    newTokens: 8,
  },
};

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: process.env.GPU_BENCH_SIZE ?? '124m' },
    variants: { type: 'string', default: 'fused' },
    'allow-software': { type: 'boolean', default: false },
    'micro-batches': { type: 'string' },
  },
});
const size = GPU_BENCH_SIZES[args.size as keyof typeof GPU_BENCH_SIZES];
if (!size) throw new RangeError(`--size must be ${Object.keys(GPU_BENCH_SIZES).join(' or ')}.`);
const allowSoftware = args['allow-software'] || args.size === 'tiny';

async function run(variant: string) {
  const info = await initBackend(
    createWebgpuBackend({
      fusedKernels: variant === 'fused',
      allowSoftwareAdapter: allowSoftware,
    }),
  );
  if (info.device !== 'gpu' && !allowSoftware) {
    throw new Error(
      `The WebGPU adapter is not a GPU (${describeBackend(info)}); check the Vulkan driver, or pass --allow-software.`,
    );
  }
  const config = resolveConfig({ ...size.model, embdPdrop: 0, attnPdrop: 0, residPdrop: 0 });
  const T = config.nPositions;
  const B = size.batch;
  // The logits of a batch (B × T × V float32: 1.6 GB at 8 × 1024) must fit one storage binding;
  // where the device's is smaller, the same batch runs as micro-batches (gradient accumulation).
  const binding = info.limits?.maxStorageBufferBindingSize ?? Number.POSITIVE_INFINITY;
  let micro = Number(args['micro-batches'] ?? 1);
  while (micro < B && ((B / micro) * T * config.vocabSize * 4 > binding || B % micro !== 0)) {
    micro++;
  }
  const microBatch = B / micro;
  const model = GPT2Model.create(config, { seed: 1 });
  const parameters = [...model.parameters().values()].reduce((n, v) => n + v.size, 0);
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7919 + 13) % config.vocabSize);
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 104729 + 1) % config.vocabSize);
  let calls = 0;
  const batch: TrainingBatchSource = {
    next: async () => {
      const rows = (calls++ % micro) * microBatch * T;
      return {
        inputs: ids.subarray(rows, rows + microBatch * T),
        targets: targets.subarray(rows, rows + microBatch * T),
        batchSize: microBatch,
        blockSize: T,
      };
    },
    getState: () => ({}),
    setState: () => undefined,
  };
  const losses: number[] = [];
  const stepMs: number[] = [];
  let skipped = 0;
  const trainer = createTrainer({
    model,
    train: batch,
    config: {
      maxSteps: size.steps,
      schedule: { type: 'constant', lr: 3e-4 },
      gradClip: 1,
      gradientAccumulationSteps: micro,
    },
    onEvent: (event) => {
      if (event.type === 'skip') skipped++;
      if (event.type !== 'step') return;
      losses.push(event.loss);
      if (event.step > size.warmup) stepMs.push((event.tokens / event.tokensPerSecond) * 1000);
    },
  });
  await trainer.run();
  trainer.dispose();
  const trainSeconds = stepMs.reduce((a, b) => a + b, 0) / 1000;

  // Greedy generation with a KV cache.
  const prompt = Array.from(ids.slice(0, size.prompt));
  const generate = async (newTokens: number) => {
    const cache = model.createKVCache(1);
    let next = tf.tidy(() =>
      tf.argMax(model.forward([prompt], { cache, lastPositionOnly: true }), -1),
    );
    const out: number[] = [];
    for (let i = 0; i < newTokens; i++) {
      const id = (await next.data())[0]!;
      next.dispose();
      out.push(id);
      if (i === newTokens - 1) break;
      next = tf.tidy(() => tf.argMax(model.forward([[id]], { cache, lastPositionOnly: true }), -1));
    }
    cache.dispose();
    return out;
  };
  await generate(2); // pipelines
  const started = performance.now();
  const generated = await generate(size.newTokens);
  const generateSeconds = (performance.now() - started) / 1000;
  model.dispose();
  return {
    side: 'webgpu',
    variant,
    backend: describeBackend(info),
    adapter: info.adapter,
    kernels: info.kernels,
    size: args.size,
    batch: B,
    microBatches: micro,
    context: T,
    parameters,
    steps: size.steps,
    timedSteps: stepMs.length,
    skippedSteps: skipped,
    losses,
    trainTokensPerSecond: (stepMs.length * B * T) / trainSeconds,
    msPerStep: (trainSeconds * 1000) / stepMs.length,
    newTokens: generated.length,
    generateTokensPerSecond: generated.length / generateSeconds,
    msPerToken: (generateSeconds * 1000) / generated.length,
    generatedHead: generated.slice(0, 8),
  };
}

for (const variant of args.variants.split(',')) {
  if (variant !== 'fused' && variant !== 'stock') {
    throw new RangeError(`--variants: fused or stock, got ${variant}.`);
  }
  process.stdout.write(`RESULT ${JSON.stringify(await run(variant))}\n`);
}
process.exit(0);
