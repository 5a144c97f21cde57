/**
 * The addon's built-in sgemm (native/gpt2_gemm.c) against a float64 triple
 * loop: edge sizes around its register tile (6 × 16 on AVX2, 12 × 32 on
 * AVX-512) and cache blocks (MC 144 rows, KC 256 deep (192 on AVX-512), NC
 * 3072 columns), both transposes, leading dimensions wider than the rows
 * (whose padding must stay untouched), the alphas and betas the kernels use (beta 0 over a C full of
 * NaN, which must not leak through) and a general one. Then the switch
 * between it and OpenBLAS, and the native backend on it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../init-backend.js';
import { createNativeBackend, NATIVE_BUILD_HINT } from '../../providers/native.js';
import { seededFloats } from '../../testing/matmul-reference.js';
import { systemRequirement } from '../../testing/require-system.js';
import { loadNativeBlas, type NativeAddon } from './native-blas.js';

const loaded = await loadNativeBlas();
const hasAddon = systemRequirement(
  `The native addon (${typeof loaded === 'string' ? loaded : 'ok'})`,
  typeof loaded !== 'string',
  NATIVE_BUILD_HINT,
);
const addon = loaded as NativeAddon & Required<Pick<NativeAddon, 'gemm' | 'useBlas' | 'openblas'>>;

interface Case {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  alpha: number;
  beta: number;
}

/** Runs one case; returns the largest error in units of the float32 rounding bound. */
function check({ m, n, k, transposeA, transposeB, alpha, beta }: Case, seed: number): number {
  const rowsA = transposeA ? k : m;
  const colsA = transposeA ? m : k;
  const rowsB = transposeB ? n : k;
  const colsB = transposeB ? k : n;
  const lda = colsA + 3;
  const ldb = colsB + 1;
  const ldc = n + 2;
  const a = seededFloats(rowsA * lda, seed);
  const b = seededFloats(rowsB * ldb, seed + 1);
  const c =
    beta === 0 ? new Float32Array(m * ldc).fill(Number.NaN) : seededFloats(m * ldc, seed + 2);
  const before = c.slice();
  addon.gemm('builtin', transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const got = c[i * ldc + j]!;
      if (j >= n) {
        // Padding between rows: never written.
        expect(Object.is(got, before[i * ldc + j])).toBe(true);
        continue;
      }
      let sum = 0;
      let magnitude = 0;
      for (let p = 0; p < k; p++) {
        const x = a[transposeA ? p * lda + i : i * lda + p]!;
        const y = b[transposeB ? j * ldb + p : p * ldb + j]!;
        sum += x * y;
        magnitude += Math.abs(x * y);
      }
      const old = beta === 0 ? 0 : beta * before[i * ldc + j]!;
      const want = alpha * sum + old;
      // Float32 accumulation over k terms: error ≤ ~k·2⁻²⁴ of the magnitudes.
      const bound =
        ((k + 2) * 2 ** -24 * (Math.abs(alpha) * magnitude + Math.abs(old)) || 1e-30) * 2;
      const error = Math.abs(got - want) / bound;
      if (!(error <= 1)) {
        throw new Error(
          `gemm m=${m} n=${n} k=${k} ta=${transposeA} tb=${transposeB} alpha=${alpha} beta=${beta}: C[${i}, ${j}] = ${got}, want ${want}`,
        );
      }
      worst = Math.max(worst, error);
    }
  }
  return worst;
}

describe.runIf(hasAddon)('the built-in sgemm', () => {
  it('matches a float64 triple loop over edge sizes, transposes, strides, alphas and betas', () => {
    const cases: Case[] = [];
    for (const m of [1, 5, 6, 13, 150])
      for (const n of [1, 16, 17, 40])
        for (const k of [1, 7, 64, 300])
          for (const transposeA of [false, true])
            for (const transposeB of [false, true])
              cases.push({
                m,
                n,
                k,
                transposeA,
                transposeB,
                // The kernels use (1, 0) and (attention's scale, 0); beta 1 and 0.5 for the contract.
                ...[
                  { alpha: 1, beta: 0 },
                  { alpha: 0.125, beta: 0 },
                  { alpha: 1, beta: 1 },
                  { alpha: 0.5, beta: 0.5 },
                ][(m + n + k + (transposeA ? 1 : 0) + (transposeB ? 2 : 0)) % 4]!,
              });
    // Past every cache block at once (more columns than NC, rows than MC, depth than KC).
    cases.push({ m: 2, n: 3100, k: 3, transposeA: false, transposeB: true, alpha: 1, beta: 0 });
    cases.push({ m: 149, n: 33, k: 513, transposeA: true, transposeB: false, alpha: 1, beta: 1 });
    let worst = 0;
    cases.forEach((c, index) => {
      worst = Math.max(worst, check(c, index * 3 + 1));
    });
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('treats k = 0 and alpha = 0 as C = beta·C', () => {
    const c = new Float32Array([1, 2, 3, 4]);
    addon.gemm(
      'builtin',
      false,
      false,
      2,
      2,
      0,
      1,
      new Float32Array(0),
      0,
      new Float32Array(0),
      2,
      0.5,
      c,
      2,
    );
    expect([...c]).toEqual([0.5, 1, 1.5, 2]);
    const nan = new Float32Array(4).fill(Number.NaN);
    addon.gemm(
      'builtin',
      false,
      false,
      2,
      2,
      1,
      0,
      new Float32Array(2),
      1,
      new Float32Array(2),
      2,
      0,
      nan,
      2,
    );
    expect([...nan]).toEqual([0, 0, 0, 0]);
  });

  it('rejects operands shorter than their sizes', () => {
    expect(() =>
      addon.gemm(
        'builtin',
        false,
        false,
        4,
        4,
        4,
        1,
        new Float32Array(15),
        4,
        new Float32Array(16),
        4,
        0,
        new Float32Array(16),
        4,
      ),
    ).toThrow(/shorter than its sizes/);
  });

  it('is what the native backend uses when asked, and says so', async () => {
    const openblas = addon.openblas();
    try {
      expect(addon.useBlas('builtin')).toBe('builtin');
      expect(addon.describe()).toMatchObject({
        library: 'builtin',
        config: expect.stringMatching(/^built-in sgemm \(/),
      });
      expect(addon.useBlas('auto')).toBe(openblas === null ? 'builtin' : 'openblas');
      expect(addon.useBlas('openblas')).toBe(openblas === null ? 'builtin' : 'openblas');

      const info = await initBackend(createNativeBackend({ blas: 'builtin' }));
      expect(info.blas).toMatch(/^built-in sgemm \(/);
      const a = tf.tensor2d(seededFloats(37 * 29, 5), [37, 29]);
      const b = tf.tensor2d(seededFloats(29 * 41, 6), [29, 41]);
      const product = tf.matMul(a, b);
      const got = await product.data();
      const want = new Float64Array(37 * 41);
      const av = await a.data();
      const bv = await b.data();
      for (let i = 0; i < 37; i++)
        for (let j = 0; j < 41; j++)
          for (let p = 0; p < 29; p++) want[i * 41 + j]! += av[i * 29 + p]! * bv[p * 41 + j]!;
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      expect(worst).toBeLessThan(1e-5);
      tf.dispose([a, b, product]);
    } finally {
      addon.useBlas('auto');
      await initBackend('cpu');
    }
  });

  it("rejects a blas that is not 'auto', 'openblas' or 'builtin'", () => {
    expect(() => createNativeBackend({ blas: 'mkl' as 'auto' })).toThrow(RangeError);
  });
});
