/**
 * Training-step throughput of a small GPT-2 on the tfjs backends available
 * here, its model FLOP utilisation (MFU) against the same backend's warm
 * 1024×1024 matMul, and the same step in PyTorch on the CPU.
 *
 *   pnpm --filter @gpt2/model bench
 *
 * Environment: BENCH_STEPS (timed steps per backend, default 3); BENCH_CPU=1
 * adds the pure-JS cpu backend (about a minute: ~20 s a step, ~1 GFLOP/s).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BackendRequest, describeBackend, initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { flopsPerToken, GPT2Model, resolveConfig } from '../src/index.js';

const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const BATCH = 16;
const config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: 512,
  nPositions: 128,
  nEmbd: 128,
  nLayer: 4,
  nHead: 4,
  embdPdrop: 0,
  attnPdrop: 0,
  residPdrop: 0,
});
const T = config.nPositions;
const FLOPS_PER_TOKEN = flopsPerToken(config, { training: true, sequenceLength: T });

function randomIds(seed: number): number[][] {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % config.vocabSize;
  };
  return Array.from({ length: BATCH }, () => Array.from({ length: T }, next));
}

/** Warm GFLOP/s of a 1024×1024 float32 matMul on the active backend. */
async function matMulGflops(): Promise<number> {
  const n = 1024;
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  for (let i = 0; i < 2; i++)
    await tf
      .matMul(a, b)
      .data()
      .then(() => undefined);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    best = Math.min(best, performance.now() - start);
    c.dispose();
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

interface StepResult {
  backend: string;
  description: string;
  msForwardBackward: number;
  msStep: number;
  gflops: number;
}

/** One training step: forward, backward, Adam update (the PyTorch script does AdamW). */
async function benchBackend(request: BackendRequest, steps: number): Promise<StepResult> {
  const info = await initBackend(request);
  const gflops = await matMulGflops();
  const model = GPT2Model.create(config, { seed: 1 });
  const optimizer = tf.train.adam(3e-4, 0.9, 0.95);
  const ids = randomIds(1);
  const targets = randomIds(2);
  const idsTensor = tf.tensor2d(ids, [BATCH, T], 'int32');
  const targetsTensor = tf.tensor2d(targets, [BATCH, T], 'int32');
  const fwdBwd = async () => {
    const { value, grads } = tf.variableGrads(() => model.loss(idsTensor, targetsTensor));
    await value.data();
    return { value, grads };
  };
  const step = async () => {
    const { value, grads } = await fwdBwd();
    optimizer.applyGradients(grads);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  await step(); // warm-up: kernel compilation, weight packing
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const msStep = (performance.now() - t0) / steps;
  const t1 = performance.now();
  for (let i = 0; i < steps; i++) {
    const { value, grads } = await fwdBwd();
    tf.dispose([value, ...Object.values(grads)]);
  }
  const msForwardBackward = (performance.now() - t1) / steps;
  optimizer.dispose();
  tf.dispose([idsTensor, targetsTensor]);
  model.dispose();
  return {
    backend: info.name,
    description: describeBackend(info),
    msForwardBackward,
    msStep,
    gflops,
  };
}

interface TorchResult {
  ms_per_step: number;
  threads: number;
  torch: string;
}

function benchTorch(threads: number): TorchResult | string {
  const python = '/usr/bin/python3';
  const script = fileURLToPath(new URL('../../../tools/reference/bench_step.py', import.meta.url));
  if (!existsSync(python)) return `${python} not found`;
  if (!existsSync(script)) return `${script} not found`;
  const options = {
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_embd: config.nEmbd,
    block_size: T,
    batch_size: BATCH,
    vocab_size: config.vocabSize,
    steps: 10,
    threads,
  };
  const run = spawnSync(python, [script, JSON.stringify(options)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) return `exit ${run.status}: ${run.stderr.trim().split('\n').at(-1) ?? ''}`;
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as TorchResult;
}

const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

console.log(
  `GPT-2 training step: ${config.nLayer} layers, ${config.nHead} heads, d=${config.nEmbd}, ` +
    `context ${T}, batch ${BATCH}, vocab ${config.vocabSize}; ` +
    `${fmt(FLOPS_PER_TOKEN / 1e6, 1)} MFLOP/token (6N + 12·L·C·T)\n`,
);

const results: StepResult[] = [];
const best = await benchBackend('auto', STEPS);
results.push(best);
console.log(`auto → ${best.description}`);
if (best.backend !== 'wasm') results.push(await benchBackend('wasm', STEPS));
if (process.env.BENCH_CPU === '1' && best.backend !== 'cpu') {
  results.push(await benchBackend('cpu', 1)); // pure JS: ~20 s a step, time one
} else {
  console.log('(pure-JS cpu backend skipped: ~1 min; set BENCH_CPU=1 to include it)');
}

const torch = [benchTorch(2), benchTorch(1)];
const torchMs = torch.map((t) => (typeof t === 'string' ? undefined : t.ms_per_step));

console.log('');
console.log(
  '| backend | fwd+bwd ms | step ms (+Adam) | tokens/s | matMul 1024² GFLOP/s | MFU | PyTorch CPU (2 thr / 1 thr) is × faster |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const tokensPerSecond = (BATCH * T) / (r.msStep / 1000);
  const mfu = (tokensPerSecond * FLOPS_PER_TOKEN) / (r.gflops * 1e9);
  const ratios = torchMs.map((ms) => (ms ? `${fmt(r.msStep / ms, 1)}×` : 'n/a')).join(' / ');
  console.log(
    `| ${r.backend} | ${fmt(r.msForwardBackward)} | ${fmt(r.msStep)} | ${fmt(tokensPerSecond)} | ${fmt(r.gflops, 1)} | ${fmt(mfu * 100, 1)}% | ${ratios} |`,
  );
}
for (const [i, t] of torch.entries()) {
  const label = `PyTorch CPU, ${i === 0 ? 2 : 1} thread(s)`;
  if (typeof t === 'string') console.log(`| ${label} | skipped: ${t} |`);
  else {
    console.log(
      `| ${label} (torch ${t.torch}) | — | ${fmt(t.ms_per_step)} | ${fmt((BATCH * T) / (t.ms_per_step / 1000))} | — | — | 1.0× |`,
    );
  }
}
