/**
 * Kernel throughput on wasm: the stock kernels, the XNNPACK overrides and the
 * native OpenBLAS kernel (1 thread, when built), interleaved in this one
 * process, on the matMul and Sum shapes of a training step of the issue-10
 * model (4 layers, d=128, context 128, batch 16, 4 heads); then the same
 * matMuls and the hot element-wise kernels on the native backend at 1 thread
 * and at every core, beside wasm with its overrides. Peer: PyTorch's matMul on
 * the same shapes at 1 thread, as the wasm variants (tools/reference/bench_matmul.py);
 * the Sum and element-wise tables have no peer. Last, the addon's built-in
 * sgemm against OpenBLAS and XNNPACK (bench/sgemm.ts).
 *
 *   pnpm --filter @gpt2/backends bench
 */
import { availableParallelism, loadavg } from 'node:os';
import { runReference } from '@gpt2/reference';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/index.js';
import { createNativeBackend } from '../src/providers/native.js';
import { createWasmBackend, type WasmBackendOptions } from '../src/providers/wasm.js';
import { benchSgemm } from './sgemm.js';

interface Variant {
  label: string;
  options: WasmBackendOptions;
}
const variants: Variant[] = [
  { label: 'stock', options: { kernelOverrides: false } },
  { label: 'xnnpack', options: { nativeBlas: false } },
];
const probe = await initBackend(createWasmBackend({ blasThreads: 1 }));
if (probe.patches.some((p) => p.includes('openblas'))) {
  variants.push({ label: 'openblas', options: { blasThreads: 1 } });
}

interface MatMulShape {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}
const N = 16 * 128; // tokens per step
const SHAPES: MatMulShape[] = [
  {
    name: 'x @ W (c_fc forward)',
    a: [N, 128],
    b: [128, 512],
    transposeA: false,
    transposeB: false,
  },
  { name: 'dy @ Wᵀ (c_fc dx)', a: [N, 512], b: [128, 512], transposeA: false, transposeB: true },
  { name: 'xᵀ @ dy (c_fc dW)', a: [N, 128], b: [N, 512], transposeA: true, transposeB: false },
  {
    name: 'q @ kᵀ (attention)',
    a: [64, 128, 32],
    b: [64, 128, 32],
    transposeA: false,
    transposeB: true,
  },
  {
    name: 'att @ v (attention)',
    a: [64, 128, 128],
    b: [64, 128, 32],
    transposeA: false,
    transposeB: false,
  },
  {
    name: 'attᵀ @ dy (attention dv)',
    a: [64, 128, 128],
    b: [64, 128, 32],
    transposeA: true,
    transposeB: false,
  },
  { name: 'x @ wteᵀ (logits)', a: [N, 128], b: [85, 128], transposeA: false, transposeB: true },
  { name: '1024² square', a: [1024, 1024], b: [1024, 1024], transposeA: false, transposeB: false },
];

function bestMs(run: () => tf.Tensor, reps: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    const out = run();
    out.dataSync();
    best = Math.min(best, performance.now() - start);
    out.dispose();
  }
  return best;
}

const fmt = (value: number, digits = 1) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
// The peer, on the same shapes, single-threaded like every variant here.
const torch = runReference('bench_matmul.py', {
  threads: 1,
  repeats: 5,
  shapes: SHAPES.map((s) => ({
    a: s.a,
    b: s.b,
    transpose_a: s.transposeA,
    transpose_b: s.transposeB,
  })),
});
const torchGflops = typeof torch === 'string' ? undefined : (torch.gflops as number[]);
console.log(
  typeof torch === 'string'
    ? `\nPeer: PyTorch ${torch}; its columns read n/a.`
    : `\nPeer: PyTorch ${torch.torch} matMul, 1 thread (as ours), best of 5.`,
);
console.log(`\nmatMul GFLOP/s (best of 5, variants interleaved):`);
console.log(
  `| shape | ${variants.map((v) => v.label).join(' | ')} | PyTorch | ${variants
    .slice(1)
    .map((v) => `${v.label} / stock`)
    .join(' | ')} | best ours / PyTorch |`,
);
console.log(
  `|---|${variants.map(() => '---:').join('|')}|---:|${variants
    .slice(1)
    .map(() => '---:')
    .join('|')}|---:|`,
);
for (const [shapeIndex, shape] of SHAPES.entries()) {
  const a = tf.randomNormal(shape.a, 0, 1, 'float32', 1);
  const b = tf.randomNormal(shape.b, 0, 1, 'float32', 2);
  const M = shape.a.at(shape.transposeA ? -1 : -2)!;
  const K = shape.a.at(shape.transposeA ? -2 : -1)!;
  const cols = shape.b.at(shape.transposeB ? -2 : -1)!;
  const batch = shape.a.length === 3 ? shape.a[0]! : 1;
  const flop = 2 * batch * M * K * cols;
  const run = () => tf.matMul(a, b, shape.transposeA, shape.transposeB);
  const ms = variants.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < 5; round++) {
    for (const [i, variant] of variants.entries()) {
      await initBackend(createWasmBackend(variant.options));
      if (round === 0) run().dispose(); // warm-up
      ms[i] = Math.min(ms[i]!, bestMs(run, 1));
    }
  }
  const gflops = ms.map((t) => flop / (t / 1000) / 1e9);
  const peer = torchGflops?.[shapeIndex];
  console.log(
    `| ${shape.name} [${shape.a}]·[${shape.b}] | ${gflops.map((g) => fmt(g)).join(' | ')} | ${peer === undefined ? 'n/a' : fmt(peer)} | ${gflops
      .slice(1)
      .map((g) => `${fmt(g / gflops[0]!)}×`)
      .join(' | ')} | ${peer === undefined ? 'n/a' : `${fmt(Math.max(...gflops) / peer, 2)}×`} |`,
  );
  tf.dispose([a, b]);
}

console.log(
  `\nSum over the leading axis, ms (best of 5; no peer: PyTorch's sum is not a separate kernel choice):`,
);
console.log(`| shape | ${variants.map((v) => v.label).join(' | ')} |`);
console.log(`|---|${variants.map(() => '---:').join('|')}|`);
for (const shape of [
  [N, 128],
  [N, 512],
  [16, 128, 128],
]) {
  const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
  const axes = shape.length === 3 ? [0, 1] : [0];
  const ms = variants.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < 5; round++) {
    for (const [i, variant] of variants.entries()) {
      await initBackend(createWasmBackend(variant.options));
      ms[i] = Math.min(
        ms[i]!,
        bestMs(() => tf.sum(x, axes), 1),
      );
    }
  }
  console.log(`| [${shape}] over ${axes} | ${ms.map((t) => fmt(t, 2)).join(' | ')} |`);
  x.dispose();
}
const hasNative = await initBackend('native').then(
  () => true,
  (error: Error) => {
    console.log(`\nnative backend: skipped (${error.message.split('\n')[0]})`);
    return false;
  },
);
if (hasNative) {
  const threads = [...new Set([1, availableParallelism()])];
  const backends = [
    ...threads.map((t) => ({ label: `native ${t}T`, name: 'native' as const, blasThreads: t })),
    { label: 'wasm + openblas 1T', name: 'wasm' as const, blasThreads: 1 },
  ];
  /** Time `make` on each backend, inputs made on that backend: best of 5 after a warm-up. */
  const timeOn = async (inputs: () => tf.Tensor[], op: (xs: tf.Tensor[]) => tf.Tensor) => {
    const ms: number[] = [];
    for (const backend of backends) {
      await initBackend(
        backend.name === 'native'
          ? createNativeBackend({ threads: backend.blasThreads })
          : createWasmBackend({ blasThreads: backend.blasThreads }),
      );
      const xs = inputs();
      op(xs).dispose();
      ms.push(bestMs(() => op(xs), 5));
      tf.dispose(xs);
    }
    return ms;
  };
  // The peer at every core, as the native backend's multi-threaded column.
  const cores = availableParallelism();
  const torchAll = runReference('bench_matmul.py', {
    threads: cores,
    repeats: 5,
    shapes: SHAPES.map((s) => ({
      a: s.a,
      b: s.b,
      transpose_a: s.transposeA,
      transpose_b: s.transposeB,
    })),
  });
  const torchAllGflops = typeof torchAll === 'string' ? undefined : (torchAll.gflops as number[]);
  console.log(
    `\nmatMul GFLOP/s on the native backend (best of 5), beside wasm + OpenBLAS and PyTorch at 1 and ${cores} threads${typeof torchAll === 'string' ? ` (PyTorch at ${cores}: ${torchAll})` : ''}:`,
  );
  console.log(
    `| shape | ${backends.map((b) => b.label).join(' | ')} | PyTorch 1T | PyTorch ${cores}T |`,
  );
  console.log(`|---|${backends.map(() => '---:').join('|')}|---:|---:|`);
  for (const [shapeIndex, shape] of SHAPES.entries()) {
    const M = shape.a.at(shape.transposeA ? -1 : -2)!;
    const K = shape.a.at(shape.transposeA ? -2 : -1)!;
    const cols = shape.b.at(shape.transposeB ? -2 : -1)!;
    const flop = 2 * (shape.a.length === 3 ? shape.a[0]! : 1) * M * K * cols;
    const ms = await timeOn(
      () => [
        tf.randomNormal(shape.a, 0, 1, 'float32', 1),
        tf.randomNormal(shape.b, 0, 1, 'float32', 2),
      ],
      ([a, b]) => tf.matMul(a!, b!, shape.transposeA, shape.transposeB),
    );
    const peer = (values: number[] | undefined) => {
      const value = values?.[shapeIndex];
      return value === undefined ? 'n/a' : fmt(value);
    };
    console.log(
      `| ${shape.name} | ${ms.map((t) => fmt(flop / (t / 1000) / 1e9)).join(' | ')} | ${peer(torchGflops)} | ${peer(torchAllGflops)} |`,
    );
  }
  console.log(`\nElement-wise and row kernels, ms (best of 5):`);
  console.log(`| kernel | ${backends.map((b) => b.label).join(' | ')} |`);
  console.log(`|---|${backends.map(() => '---:').join('|')}|`);
  const big = [16, 128, 512];
  const cases: [string, () => tf.Tensor[], (xs: tf.Tensor[]) => tf.Tensor][] = [
    [
      'mul [16,128,512]²',
      () => [tf.randomNormal(big), tf.randomNormal(big)],
      ([a, b]) => tf.mul(a!, b!),
    ],
    [
      'add [16,128,512] + [512]',
      () => [tf.randomNormal(big), tf.randomNormal([512])],
      ([a, b]) => tf.add(a!, b!),
    ],
    ['sigmoid [16,128,512]', () => [tf.randomNormal(big)], ([a]) => tf.sigmoid(a!)],
    ['tanh [16,128,512]', () => [tf.randomNormal(big)], ([a]) => tf.tanh(a!)],
    ['softmax [16,4,128,128]', () => [tf.randomNormal([16, 4, 128, 128])], ([a]) => tf.softmax(a!)],
    ['mean over C [16,128,512]', () => [tf.randomNormal(big)], ([a]) => tf.mean(a!, -1, true)],
    [
      'transpose [16,128,4,32] → [0,2,1,3]',
      () => [tf.randomNormal([16, 128, 4, 32])],
      ([a]) => tf.transpose(a!, [0, 2, 1, 3]),
    ],
  ];
  for (const [name, inputs, op] of cases) {
    const ms = await timeOn(inputs, op);
    console.log(`| ${name} | ${ms.map((t) => fmt(t, 3)).join(' | ')} |`);
  }
}

await benchSgemm();

console.log(
  `\nload average at end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
