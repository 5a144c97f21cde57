/**
 * One conformance suite for the kernels this package overrides, run on every
 * backend variant in Node: the pure-JS cpu backend, wasm with its stock
 * kernels, and wasm with the overrides. Each case compares with a plain-JS
 * reference; a last block compares the overrides with the stock wasm kernels
 * on the same inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { maxRelativeError, referenceMatMul, seededFloats } from '../testing/matmul-reference.js';
import { systemRequirement } from '../testing/require-system.js';
import { loadNativeBlas, NATIVE_BLAS_HINT } from './native/native-blas.js';
import { batchMatMulTuning } from './wasm/batch-mat-mul.js';

interface MatMulCase {
  /** Untransposed logical shapes: a [...outerA, M, K], b [...outerB, K, N]. */
  outerA: number[];
  outerB: number[];
  M: number;
  K: number;
  N: number;
}

const MATMUL_CASES: MatMulCase[] = [
  { outerA: [], outerB: [], M: 7, K: 5, N: 3 },
  { outerA: [1], outerB: [1], M: 9, K: 4, N: 6 },
  { outerA: [3], outerB: [3], M: 5, K: 7, N: 2 },
  { outerA: [3], outerB: [], M: 5, K: 7, N: 11 },
  { outerA: [], outerB: [4], M: 5, K: 7, N: 3 },
  { outerA: [2], outerB: [2], M: 33, K: 65, N: 17 },
  { outerA: [], outerB: [], M: 1, K: 31, N: 1 },
];

/** A few more shapes from a seeded generator: odd sizes, batch 1 to 4. */
function randomCases(count: number, seed: number): MatMulCase[] {
  const r = seededFloats(count * 4, seed);
  const size = (x: number, max: number) => 1 + Math.floor(((x + 1) / 2) * max);
  return Array.from({ length: count }, (_, i) => {
    const batch = size(r[i * 4]!, 4);
    return {
      outerA: [batch],
      outerB: i % 2 === 0 ? [batch] : [],
      M: size(r[i * 4 + 1]!, 40),
      K: size(r[i * 4 + 2]!, 40),
      N: size(r[i * 4 + 3]!, 40),
    };
  });
}

const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** Swap the last two axes of a row-major array. */
function swapLastTwo(values: Float32Array, shape: number[]): Float32Array {
  const rows = shape.at(-2)!;
  const cols = shape.at(-1)!;
  const out = new Float32Array(values.length);
  for (let offset = 0; offset < values.length; offset += rows * cols) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) out[offset + j * rows + i] = values[offset + i * cols + j]!;
    }
  }
  return out;
}

/** Plain-JS batched product with broadcasting over the outer dimensions. */
function referenceBatch(c: MatMulCase, a: Float32Array, b: Float32Array) {
  const rank = Math.max(c.outerA.length, c.outerB.length);
  const padA = [...new Array<number>(rank - c.outerA.length).fill(1), ...c.outerA];
  const padB = [...new Array<number>(rank - c.outerB.length).fill(1), ...c.outerB];
  const outer = padA.map((x, i) => Math.max(x, padB[i]!));
  const batch = outer.reduce((x, y) => x * y, 1);
  const out = new Float32Array(batch * c.M * c.N);
  for (let i = 0; i < batch; i++) {
    let rest = i;
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      const stride = outer.slice(d + 1).reduce((x, y) => x * y, 1);
      const coordinate = Math.floor(rest / stride);
      rest %= stride;
      ia = ia * padA[d]! + (padA[d] === 1 ? 0 : coordinate);
      ib = ib * padB[d]! + (padB[d] === 1 ? 0 : coordinate);
    }
    const slice = referenceMatMul(
      a.subarray(ia * c.M * c.K, (ia + 1) * c.M * c.K),
      b.subarray(ib * c.K * c.N, (ib + 1) * c.K * c.N),
      c.M,
      c.K,
      c.N,
    );
    out.set(slice, i * c.M * c.N);
  }
  return { values: out, shape: [...outer, c.M, c.N] };
}

function matMulInputs(c: MatMulCase, transposeA: boolean, transposeB: boolean, seed: number) {
  const aShape = [...c.outerA, c.M, c.K];
  const bShape = [...c.outerB, c.K, c.N];
  const a = seededFloats(
    aShape.reduce((x, y) => x * y, 1),
    seed,
  );
  const b = seededFloats(
    bShape.reduce((x, y) => x * y, 1),
    seed + 1,
  );
  const stored = (values: Float32Array, shape: number[], transposed: boolean) =>
    transposed
      ? tf.tensor(swapLastTwo(values, shape), [...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!])
      : tf.tensor(values, shape);
  return {
    a: stored(a, aShape, transposeA),
    b: stored(b, bShape, transposeB),
    expected: referenceBatch(c, a, b),
  };
}

interface SumCase {
  shape: number[];
  axis: number | number[];
  keepDims: boolean;
  dtype: 'float32' | 'int32';
}

const SUM_CASES: SumCase[] = [
  { shape: [37, 5], axis: 0, keepDims: false, dtype: 'float32' },
  { shape: [3, 7, 5], axis: [0, 1], keepDims: false, dtype: 'float32' },
  { shape: [3, 7, 5], axis: [1, 0], keepDims: true, dtype: 'float32' },
  { shape: [6, 7, 5], axis: 0, keepDims: false, dtype: 'float32' },
  { shape: [3, 7, 5], axis: 1, keepDims: false, dtype: 'float32' },
  { shape: [3, 7, 5], axis: -1, keepDims: true, dtype: 'float32' },
  { shape: [4, 9], axis: [0, 1], keepDims: false, dtype: 'float32' },
  { shape: [9, 4], axis: 0, keepDims: false, dtype: 'int32' },
  { shape: [1, 1, 3], axis: [0, 1], keepDims: false, dtype: 'float32' },
];

function referenceSum(c: SumCase, values: Float32Array | Int32Array): Float64Array {
  const rank = c.shape.length;
  const axes = (Array.isArray(c.axis) ? c.axis : [c.axis]).map((a) => (a < 0 ? a + rank : a));
  const outShape = c.shape.map((size, d) => (axes.includes(d) ? 1 : size));
  const out = new Float64Array(outShape.reduce((x, y) => x * y, 1));
  const coordinate = new Array<number>(rank).fill(0);
  for (let i = 0; i < values.length; i++) {
    let rest = i;
    for (let d = rank - 1; d >= 0; d--) {
      coordinate[d] = rest % c.shape[d]!;
      rest = Math.floor(rest / c.shape[d]!);
    }
    let o = 0;
    for (let d = 0; d < rank; d++) o = o * outShape[d]! + (axes.includes(d) ? 0 : coordinate[d]!);
    out[o]! += values[i]!;
  }
  return out;
}

function sumInput(c: SumCase, seed: number): tf.Tensor {
  const floats = seededFloats(
    c.shape.reduce((x, y) => x * y, 1),
    seed,
  );
  return c.dtype === 'int32'
    ? tf.tensor(
        Int32Array.from(floats, (x) => Math.round(x * 100)),
        c.shape,
        'int32',
      )
    : tf.tensor(floats, c.shape);
}

const matMulName = (c: MatMulCase, ta: boolean, tb: boolean) =>
  `[${[...c.outerA, c.M, c.K]}] @ [${[...c.outerB, c.K, c.N]}]${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`;

/** The kernel conformance suite, for one backend set up by `init`. */
function describeBackendConformance(label: string, init: () => Promise<unknown>): void {
  describe(`kernel conformance: ${label}`, () => {
    beforeAll(init);

    it('matMul matches plain JS for every transpose combination, batch and broadcast', () => {
      const before = tf.memory().numTensors;
      const cases = [...MATMUL_CASES, ...randomCases(6, 99)];
      for (const [index, c] of cases.entries()) {
        for (const [ta, tb] of TRANSPOSES) {
          const { a, b, expected } = matMulInputs(c, ta, tb, 10 + index);
          const product = tf.matMul(a, b, ta, tb);
          expect(product.shape, matMulName(c, ta, tb)).toEqual(expected.shape);
          const error = maxRelativeError(product.dataSync(), expected.values);
          expect(error, matMulName(c, ta, tb)).toBeLessThan(1e-5);
          tf.dispose([a, b, product]);
        }
      }
      expect(tf.memory().numTensors).toBe(before);
    });

    it('sum matches plain JS over leading, inner and all axes', () => {
      for (const [index, c] of SUM_CASES.entries()) {
        const x = sumInput(c, 50 + index);
        const total = tf.sum(x, c.axis, c.keepDims);
        const name = `sum [${c.shape}] axis ${c.axis} keepDims ${c.keepDims} ${c.dtype}`;
        expect(total.dtype, name).toBe(c.dtype);
        const axes = (Array.isArray(c.axis) ? c.axis : [c.axis]).map((a) =>
          a < 0 ? a + c.shape.length : a,
        );
        const expectedShape = c.keepDims
          ? c.shape.map((size, d) => (axes.includes(d) ? 1 : size))
          : c.shape.filter((_, d) => !axes.includes(d));
        expect(total.shape, name).toEqual(expectedShape);
        expect(
          maxRelativeError(total.dataSync(), referenceSum(c, x.dataSync() as Float32Array)),
          name,
        ).toBeLessThan(1e-5);
        tf.dispose([x, total]);
      }
    });

    it('differentiates a matMul through its transposed products', () => {
      const a = tf.tensor(seededFloats(12 * 5, 7), [12, 5]);
      const b = tf.tensor(seededFloats(5 * 4, 8), [5, 4]);
      const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, b]);
      // d/da sum(a @ b) = 1 @ bᵀ: every row of da is the row sums of b.
      const bValues = b.dataSync();
      const rowSums = Array.from({ length: 5 }, (_, k) =>
        [0, 1, 2, 3].reduce((s, j) => s + bValues[k * 4 + j]!, 0),
      );
      expect(maxRelativeError(da!.dataSync().slice(0, 5), rowSums)).toBeLessThan(1e-5);
      // d/db = aᵀ @ 1: row k of db is the sum of column k of a.
      const aValues = a.dataSync();
      const columnSums = Array.from({ length: 5 }, (_, k) => {
        let s = 0;
        for (let r = 0; r < 12; r++) s += aValues[r * 5 + k]!;
        return s;
      });
      expect(
        maxRelativeError(
          [0, 1, 2, 3, 4].map((k) => db!.dataSync()[k * 4]!),
          columnSums,
        ),
      ).toBeLessThan(1e-5);
      tf.dispose([a, b, da!, db!]);
    });
  });
}

const native = await loadNativeBlas();
const hasNative = systemRequirement(
  `The native BLAS kernel (${typeof native === 'string' ? native : 'ok'})`,
  typeof native !== 'string',
  NATIVE_BLAS_HINT,
);

describeBackendConformance('cpu', () => initBackend('cpu', { env: {} }));
describeBackendConformance('wasm, stock kernels', () =>
  initBackend('wasm', { env: {}, kernelOverrides: false }),
);
describeBackendConformance('wasm + overrides on XNNPACK', async () => {
  batchMatMulTuning.smallProduct = 0; // the test shapes are small: send them all through the override
  const info = await initBackend('wasm', { env: {}, nativeBlas: false });
  expect(info.patches).toEqual(expect.arrayContaining(['BatchMatMul (xnnpack)', 'Sum (xnnpack)']));
});
if (hasNative) {
  describeBackendConformance('wasm + overrides on native OpenBLAS', async () => {
    const info = await initBackend('wasm', { env: {} });
    expect(info.patches).toEqual(
      expect.arrayContaining(['BatchMatMul (openblas)', 'Sum (openblas)']),
    );
  });
}

describe('wasm overrides against the stock wasm kernels', () => {
  const variants = [
    { kind: 'xnnpack', nativeBlas: false },
    ...(hasNative ? [{ kind: 'openblas', nativeBlas: true }] : []),
  ];

  it.each(variants)(
    '$kind: broadcasts outer dimensions both ways, which the stock kernels get wrong',
    async ({ nativeBlas }) => {
      await initBackend('wasm', { env: {}, nativeBlas });
      const c: MatMulCase = { outerA: [2, 1], outerB: [1, 3], M: 3, K: 4, N: 5 };
      for (const [ta, tb] of TRANSPOSES) {
        const { a, b, expected } = matMulInputs(c, ta, tb, 300);
        const product = tf.matMul(a, b, ta, tb);
        expect(product.shape).toEqual(expected.shape);
        expect(maxRelativeError(product.dataSync(), expected.values)).toBeLessThan(1e-5);
        tf.dispose([a, b, product]);
      }
    },
  );

  it.each(variants)(
    '$kind: gives the stock matMuls and sums, and frees all wasm memory',
    async ({ nativeBlas }) => {
      const cases = randomCases(8, 7);
      const run = () => [
        ...cases.flatMap((c, index) =>
          TRANSPOSES.map(([ta, tb]) =>
            tf.tidy(() => {
              const { a, b } = matMulInputs(c, ta, tb, 200 + index);
              return tf.matMul(a, b, ta, tb).dataSync();
            }),
          ),
        ),
        ...SUM_CASES.map((c, index) =>
          tf.tidy(() => tf.sum(sumInput(c, 400 + index), c.axis, c.keepDims).dataSync()),
        ),
      ];
      await initBackend('wasm', { env: {}, kernelOverrides: false });
      const stock = run();
      await initBackend('wasm', { env: {}, nativeBlas });
      const backend = tf.backend();
      const dataIds = backend.numDataIds();
      const overridden = run();
      expect(backend.numDataIds()).toBe(dataIds);
      for (const [i, values] of overridden.entries()) {
        expect(maxRelativeError(values, stock[i]!)).toBeLessThan(1e-5);
      }
    },
  );
});
