/**
 * The native addon's built-in sgemm against OpenBLAS (when installed): one
 * single-threaded call each (the addon's `gemm`), and tf.matMul on the native
 * backend at every core with each, beside wasm's XNNPACK matMul (what a
 * machine without the addon runs). Shapes: the quickstart model's (3 layers,
 * d=64, 4 heads, batch 8, context 128: 1024 tokens a step) and squares of 512
 * and 1024. Variants interleaved, best of 5 rounds.
 *
 *   pnpm --filter @gpt2/backends bench:sgemm   (also part of `pnpm bench`)
 */
import { availableParallelism, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/index.js';
import { loadNativeBlas, type NativeAddon } from '../src/kernels/native/native-blas.js';
import { createNativeBackend } from '../src/providers/native.js';
import { createWasmBackend } from '../src/providers/wasm.js';

interface Shape {
  name: string;
  batch: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

const TOKENS = 8 * 128;
const SHAPES: Shape[] = [
  {
    name: 'x @ W (c_attn)',
    batch: 1,
    m: TOKENS,
    n: 192,
    k: 64,
    transposeA: false,
    transposeB: false,
  },
  {
    name: 'dy @ Wᵀ (c_fc dx)',
    batch: 1,
    m: TOKENS,
    n: 64,
    k: 256,
    transposeA: false,
    transposeB: true,
  },
  {
    name: 'xᵀ @ dy (c_fc dW)',
    batch: 1,
    m: 64,
    n: 256,
    k: TOKENS,
    transposeA: true,
    transposeB: false,
  },
  {
    name: 'q @ kᵀ (32 heads)',
    batch: 32,
    m: 128,
    n: 128,
    k: 16,
    transposeA: false,
    transposeB: true,
  },
  {
    name: 'att @ v (32 heads)',
    batch: 32,
    m: 128,
    n: 16,
    k: 128,
    transposeA: false,
    transposeB: false,
  },
  { name: '512² square', batch: 1, m: 512, n: 512, k: 512, transposeA: false, transposeB: false },
  {
    name: '1024² square',
    batch: 1,
    m: 1024,
    n: 1024,
    k: 1024,
    transposeA: false,
    transposeB: false,
  },
];

const fmt = (value: number, digits = 1) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : 'n/a';

const floats = (count: number) => {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sin(i * 12.9898) * 0.5;
  return out;
};

/** Milliseconds of one run of `run`, the best of a burst of at least 20 ms. */
function burst(run: () => void): number {
  run();
  let best = Number.POSITIVE_INFINITY;
  const until = performance.now() + 20;
  do {
    const start = performance.now();
    run();
    best = Math.min(best, performance.now() - start);
  } while (performance.now() < until);
  return best;
}

export async function benchSgemm(): Promise<void> {
  const addon = await loadNativeBlas();
  if (typeof addon === 'string' || typeof addon.gemm !== 'function') {
    console.log(
      `\nbuilt-in sgemm: skipped (${typeof addon === 'string' ? addon : 'the addon predates it: rebuild it'})`,
    );
    return;
  }
  const gemm = addon.gemm.bind(addon) as NonNullable<NativeAddon['gemm']>;
  const hasOpenBlas = addon.openblas?.() != null;
  const cores = availableParallelism();
  addon.useBlas?.('builtin');
  const builtin = addon.describe();
  addon.useBlas?.('auto');
  console.log(
    `\nsgemm GFLOP/s: the built-in sgemm (${builtin?.config ?? 'n/a'}) vs OpenBLAS${hasOpenBlas ? '' : ' (not installed: n/a)'}, one call on 1 thread, and tf.matMul on the native backend at ${cores} threads; wasm's XNNPACK matMul (1 thread) for scale. Best of 5 rounds, variants interleaved; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}.`,
  );
  type Variant = { label: string; run: (shape: Shape) => Promise<number> };
  const direct =
    (library: 'builtin' | 'openblas'): Variant['run'] =>
    async ({ batch, m, n, k, transposeA, transposeB }) => {
      const a = floats(batch * m * k);
      const b = floats(batch * k * n);
      const c = new Float32Array(batch * m * n);
      const lda = transposeA ? m : k;
      const ldb = transposeB ? k : n;
      return burst(() => {
        for (let s = 0; s < batch; s++) {
          gemm(
            library,
            transposeA,
            transposeB,
            m,
            n,
            k,
            1,
            a.subarray(s * m * k),
            lda,
            b.subarray(s * k * n),
            ldb,
            0,
            c.subarray(s * m * n),
            n,
          );
        }
      });
    };
  const onBackend =
    (activate: () => Promise<unknown>): Variant['run'] =>
    async ({ batch, m, n, k, transposeA, transposeB }) => {
      await activate();
      const shapeOf = (rows: number, cols: number) =>
        batch === 1 ? [rows, cols] : [batch, rows, cols];
      const a = tf.tensor(floats(batch * m * k), shapeOf(transposeA ? k : m, transposeA ? m : k));
      const b = tf.tensor(floats(batch * k * n), shapeOf(transposeB ? n : k, transposeB ? k : n));
      const ms = burst(() => {
        const out = tf.matMul(a, b, transposeA, transposeB);
        out.dataSync();
        out.dispose();
      });
      tf.dispose([a, b]);
      return ms;
    };
  const variants: Variant[] = [
    { label: 'built-in 1T', run: direct('builtin') },
    ...(hasOpenBlas ? [{ label: 'OpenBLAS 1T', run: direct('openblas') }] : []),
    {
      label: `native ${cores}T built-in`,
      run: onBackend(() => initBackend(createNativeBackend({ blas: 'builtin' }))),
    },
    ...(hasOpenBlas
      ? [
          {
            label: `native ${cores}T OpenBLAS`,
            run: onBackend(() => initBackend(createNativeBackend({ blas: 'openblas' }))),
          },
        ]
      : []),
    {
      label: 'wasm XNNPACK 1T',
      run: onBackend(() => initBackend(createWasmBackend({ nativeBlas: false }))),
    },
  ];
  const ratios = hasOpenBlas
    ? ['built-in / OpenBLAS 1T', `built-in / OpenBLAS ${cores}T`, 'native built-in / XNNPACK']
    : ['native built-in / XNNPACK'];
  console.log(`| shape | ${variants.map((v) => v.label).join(' | ')} | ${ratios.join(' | ')} |`);
  console.log(
    `|---|${variants.map(() => '---:').join('|')}|${ratios.map(() => '---:').join('|')}|`,
  );
  for (const shape of SHAPES) {
    const ms = variants.map(() => Number.POSITIVE_INFINITY);
    for (let round = 0; round < 5; round++) {
      for (const [i, variant] of variants.entries())
        ms[i] = Math.min(ms[i]!, await variant.run(shape));
    }
    const flop = 2 * shape.batch * shape.m * shape.n * shape.k;
    const g = ms.map((t) => flop / (t / 1000) / 1e9);
    const xnnpack = g.at(-1)!;
    const nativeBuiltin = g[hasOpenBlas ? 2 : 1]!;
    const shown = hasOpenBlas
      ? [g[0]! / g[1]!, g[2]! / g[3]!, nativeBuiltin / xnnpack]
      : [nativeBuiltin / xnnpack];
    console.log(
      `| ${shape.name} [${shape.batch > 1 ? `${shape.batch}×` : ''}${shape.m}×${shape.k}·${shape.k}×${shape.n}] | ${g.map((x) => fmt(x)).join(' | ')} | ${shown.map((r) => `${fmt(r, 2)}×`).join(' | ')} |`,
    );
  }
  addon.useBlas?.('auto');
  await initBackend('cpu');
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSgemm();
