/**
 * Training-step throughput of a small GPT-2 on wasm: stock kernels, then
 * @gpt2/backends' XNNPACK overrides, then the native OpenBLAS kernel (1 and 2
 * threads, when built), measured interleaved in this one process (the machine
 * is shared: rounds alternate so that load hits all alike), and the same step
 * in PyTorch on the CPU. Then the top kernels of one step of the fastest
 * variant (tf.profile), and cached decode tokens/s for each variant.
 *
 *   pnpm --filter @gpt2/model bench
 *
 * Environment: BENCH_ROUNDS (timed steps per variant, default 3).
 */
import { loadavg } from 'node:os';
import { describeBackend, initBackend } from '@gpt2/backends';
import { createWasmBackend, type WasmBackendOptions } from '@gpt2/backends/wasm';
import { type ReferenceResult, runReference } from '@gpt2/reference';
import * as tf from '@tensorflow/tfjs-core';
import { flopsPerToken, GPT2Model, resolveConfig } from '../src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = 16;
// The issue-10 configuration: a character-level model (vocabulary 85).
const config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: 85,
  nPositions: 128,
  nEmbd: 128,
  nLayer: 4,
  nHead: 4,
  embdPdrop: 0,
  attnPdrop: 0,
  residPdrop: 0,
});
const T = config.nPositions;
const TOKENS = BATCH * T;
const FLOPS_PER_STEP = flopsPerToken(config, { training: true, sequenceLength: T }) * TOKENS;

interface Variant {
  label: string;
  options: WasmBackendOptions;
  ms: number[];
}
const variants: Variant[] = [
  { label: 'wasm, stock kernels', options: { kernelOverrides: false }, ms: [] },
  { label: 'wasm + overrides (XNNPACK)', options: { nativeBlas: false }, ms: [] },
];
const nativeInfo = await initBackend(createWasmBackend({ blasThreads: 1 }));
// OpenBLAS reads OPENBLAS_CORETYPE when it loads; a forced family decides its sgemm speed
// (Haswell on an AVX-512 CPU runs at about half of what OpenBLAS would pick itself).
if (process.env.OPENBLAS_CORETYPE) {
  console.log(
    `OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE} is set: OpenBLAS uses that kernel family instead of detecting the CPU.`,
  );
}
if (nativeInfo.patches.some((p) => p.includes('openblas'))) {
  variants.push(
    { label: 'wasm + native OpenBLAS, 1 thread', options: { blasThreads: 1 }, ms: [] },
    { label: 'wasm + native OpenBLAS, 2 threads', options: { blasThreads: 2 }, ms: [] },
  );
} else {
  console.log('native BLAS kernel not built: its rows are left out (see the line above).');
}

function randomIds(seed: number): tf.Tensor2D {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % config.vocabSize;
  };
  const rows = Array.from({ length: BATCH }, () => Array.from({ length: T }, next));
  return tf.tensor2d(rows, [BATCH, T], 'int32');
}

const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function use(options: WasmBackendOptions): Promise<string> {
  return describeBackend(await initBackend(createWasmBackend(options)));
}

console.log(
  `GPT-2 training step: ${config.nLayer} layers, ${config.nHead} heads, d=${config.nEmbd}, ` +
    `context ${T}, batch ${BATCH}, vocab ${config.vocabSize}; ${fmt(FLOPS_PER_STEP / 1e9, 1)} GFLOP/step`,
);
console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);

await use({ nativeBlas: false });
const model = GPT2Model.create(config, { seed: 1 });
const optimizer = tf.train.adam(3e-4, 0.9, 0.95);
const ids = randomIds(1);
const targets = randomIds(2);
/** One step: forward, backward, Adam update (the PyTorch script does AdamW + clipping). */
async function step(): Promise<number> {
  const start = performance.now();
  const { value, grads } = tf.variableGrads(() => model.loss(ids, targets));
  optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
  return performance.now() - start;
}

for (const variant of variants) {
  console.log(`${variant.label}: ${await use(variant.options)}`);
  await step(); // warm-up: weight packing, first allocations
}
const tensorsBefore = tf.memory().numTensors;
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of variants) {
    await use(variant.options);
    variant.ms.push(await step());
  }
}
if (tf.memory().numTensors !== tensorsBefore) {
  console.log(`WARNING: tensors leaked: ${tensorsBefore} → ${tf.memory().numTensors}`);
}

function benchTorch(threads: number): ReferenceResult | string {
  return runReference(
    'bench_step.py',
    {
      n_layer: config.nLayer,
      n_head: config.nHead,
      n_embd: config.nEmbd,
      block_size: T,
      batch_size: BATCH,
      vocab_size: config.vocabSize,
      steps: 10,
      threads,
    },
    180_000,
  );
}
const torch = [1, 2].map((threads) => ({ threads, result: benchTorch(threads) }));

const stockMs = median(variants[0]!.ms);
const torchOne = torch.find((t) => t.threads === 1)?.result;
const torchMs = typeof torchOne === 'string' || !torchOne ? undefined : torchOne.ms_per_step;
console.log('');
console.log(
  '| variant | step ms (median) | tokens/s | GFLOP/s | vs stock wasm | vs PyTorch 1 thread |',
);
console.log('|---|---:|---:|---:|---:|---:|');
const row = (label: string, ms: number) =>
  console.log(
    `| ${label} | ${fmt(ms)} | ${fmt(TOKENS / (ms / 1000))} | ${fmt(FLOPS_PER_STEP / (ms / 1000) / 1e9, 1)} | ` +
      `${fmt(stockMs / ms, 2)}× | ${torchMs ? `${fmt(torchMs / ms, 2)}×` : 'n/a'} |`,
  );
for (const variant of variants)
  row(`${variant.label} (${variant.ms.map((x) => fmt(x)).join(', ')})`, median(variant.ms));
for (const { threads, result } of torch) {
  if (typeof result === 'string')
    console.log(`| PyTorch CPU, ${threads} thread(s) | skipped: ${result} |`);
  else if (result.ms_per_step === undefined)
    console.log(`| PyTorch CPU, ${threads} thread(s) | skipped: no ms_per_step in its output |`);
  else row(`PyTorch ${result.torch} CPU, ${threads} thread(s)`, result.ms_per_step);
}
console.log('(ratios: >1× means faster than the reference column)');

// Where the time goes now: the kernels of one step with the fastest variant.
const fastest = variants.reduce((best, v) => (median(v.ms) < median(best.ms) ? v : best));
await use(fastest.options);
const profile = await tf.profile(async () => {
  const { value, grads } = tf.variableGrads(() => model.loss(ids, targets));
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
});
const byKernel = new Map<string, { ms: number; calls: number }>();
let totalKernelMs = 0;
for (const kernel of profile.kernels) {
  const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
  const entry = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
  entry.ms += ms;
  entry.calls += 1;
  byKernel.set(kernel.name, entry);
  totalKernelMs += ms;
}
console.log(
  `\nTop kernels, forward + backward, ${fastest.label} (${fmt(totalKernelMs)} ms of kernel time):`,
);
console.log('| kernel | ms | share | calls |');
console.log('|---|---:|---:|---:|');
for (const [name, { ms, calls }] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10)) {
  console.log(`| ${name} | ${fmt(ms, 1)} | ${fmt((100 * ms) / totalKernelMs, 1)}% | ${calls} |`);
}

// Generation: cached decode at batch 1, 64 new tokens after a 16-token prompt.
async function decodeTokensPerSecond(): Promise<number> {
  const cache = model.createKVCache(1);
  const prompt = Array.from({ length: 16 }, (_, i) => (i * 7) % config.vocabSize);
  let next = tf.tidy(() =>
    tf.argMax(tf.squeeze(tf.slice(model.forward([prompt], { cache }), [0, 15, 0], [1, 1, -1])), -1),
  );
  const start = performance.now();
  const count = 64;
  for (let i = 0; i < count && cache.length < config.nPositions; i++) {
    const token = (await next.data())[0]!;
    next.dispose();
    next = tf.tidy(() => tf.argMax(tf.reshape(model.forward([[token]], { cache }), [-1]), -1));
  }
  await next.data();
  next.dispose();
  cache.dispose();
  return count / ((performance.now() - start) / 1000);
}
// Best of several short interleaved runs: decode steps are ~1 ms, so load spikes dominate means.
console.log('\nCached decode, batch 1, 64 tokens after a 16-token prompt (tokens/s, best of 4):');
const decodeRates = variants.map(() => 0);
for (let round = 0; round < 5; round++) {
  for (const [i, variant] of variants.entries()) {
    await use(variant.options);
    const rate = await decodeTokensPerSecond();
    if (round > 0) decodeRates[i] = Math.max(decodeRates[i]!, rate);
  }
}
for (const [i, variant] of variants.entries()) {
  console.log(`  ${variant.label}: ${fmt(decodeRates[i]!)}`);
}
console.log(
  `load average at end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
optimizer.dispose();
tf.dispose([ids, targets]);
model.dispose();
