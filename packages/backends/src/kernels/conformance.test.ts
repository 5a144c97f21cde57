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
import { createNativeBackend } from '../providers/native.js';
import { createWasmBackend } from '../providers/wasm.js';
import { maxRelativeError, referenceMatMul, seededFloats } from '../testing/matmul-reference.js';
import { systemRequirement } from '../testing/require-system.js';
import { ADAMW_UPDATE_MULTI } from './contracts/adamw-update-multi.js';
import { KERNEL_CONTRACTS } from './contracts/index.js';
import { MATMUL_BIAS_GELU } from './contracts/matmul-bias-gelu.js';
import { loadOpenBlas, NATIVE_BLAS_HINT, type NativeBlas } from './native/native-blas.js';
import { batchMatMulTuning } from './wasm/batch-mat-mul.js';
import { nativeTuning } from './wasm/native-kernels.js';

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

interface SliceCase {
  shape: number[];
  begin: number[];
  size: number[];
  dtype: 'float32' | 'int32';
}

/** Contiguous and strided boxes, rank 1 to 5, whole and partial axes. */
const SLICE_CASES: SliceCase[] = [
  { shape: [10], begin: [3], size: [5], dtype: 'float32' },
  { shape: [6, 9], begin: [0, 3], size: [6, 3], dtype: 'float32' },
  { shape: [6, 9], begin: [2, 0], size: [3, 9], dtype: 'int32' },
  { shape: [4, 5, 6], begin: [1, 2, 0], size: [2, 3, 6], dtype: 'float32' },
  { shape: [4, 5, 6], begin: [1, 0, 2], size: [3, 5, 1], dtype: 'float32' },
  { shape: [3, 4, 5, 6], begin: [0, 1, 1, 2], size: [3, 2, 4, 3], dtype: 'float32' },
  { shape: [2, 3, 2, 3, 4], begin: [1, 0, 1, 1, 0], size: [1, 3, 1, 2, 4], dtype: 'int32' },
  { shape: [4, 5], begin: [1, 1], size: [0, 3], dtype: 'float32' },
];

/** Plain-JS slice of a row-major array. */
function referenceSlice(c: SliceCase, values: ArrayLike<number>): number[] {
  const out: number[] = [];
  const strides = c.shape.map((_, d) => c.shape.slice(d + 1).reduce((x, y) => x * y, 1));
  const count = c.size.reduce((x, y) => x * y, 1);
  for (let i = 0; i < count; i++) {
    let rest = i;
    let offset = 0;
    for (let d = c.shape.length - 1; d >= 0; d--) {
      offset += (c.begin[d]! + (rest % c.size[d]!)) * strides[d]!;
      rest = Math.floor(rest / c.size[d]!);
    }
    out.push(values[offset]!);
  }
  return out;
}

function sliceInput(c: SliceCase, seed: number): tf.Tensor {
  const floats = seededFloats(
    c.shape.reduce((x, y) => x * y, 1),
    seed,
  );
  return c.dtype === 'int32'
    ? tf.tensor(
        Int32Array.from(floats, (x) => Math.round(x * 1000)),
        c.shape,
        'int32',
      )
    : tf.tensor(floats, c.shape);
}

interface GatherCase {
  shape: number[];
  indices: number[][] | number[];
  axis: number;
  batchDims: number;
  dtype: 'float32' | 'int32';
}

const GATHER_CASES: GatherCase[] = [
  { shape: [7, 20], indices: [6, 0, 3, 3, 1], axis: 0, batchDims: 0, dtype: 'float32' },
  { shape: [40], indices: [39, 0, 7, 7], axis: 0, batchDims: 0, dtype: 'float32' },
  { shape: [4, 5, 3], indices: [4, 0, 2], axis: 1, batchDims: 0, dtype: 'int32' },
  {
    shape: [3, 5, 20],
    indices: [
      [1, 2],
      [0, 4],
    ],
    axis: 1,
    batchDims: 0,
    dtype: 'float32',
  },
  {
    shape: [2, 6, 3],
    indices: [
      [5, 0],
      [1, 1],
    ],
    axis: 1,
    batchDims: 1,
    dtype: 'float32',
  },
];

/** Plain-JS gather: x viewed as [batch, outer, dim, inner], indices as [batch, n]. */
function referenceGather(c: GatherCase, values: ArrayLike<number>): number[] {
  const ids = c.indices.flat();
  const batch = c.shape.slice(0, c.batchDims).reduce((x, y) => x * y, 1);
  const outer = c.shape.slice(c.batchDims, c.axis).reduce((x, y) => x * y, 1);
  const dim = c.shape[c.axis]!;
  const inner = c.shape.slice(c.axis + 1).reduce((x, y) => x * y, 1);
  const perBatch = ids.length / batch;
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < perBatch; j++) {
        const base = ((b * outer + o) * dim + ids[b * perBatch + j]!) * inner;
        for (let k = 0; k < inner; k++) out.push(values[base + k]!);
      }
    }
  }
  return out;
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

    it('slice and split match plain JS for contiguous and strided boxes', () => {
      const before = tf.memory().numTensors;
      for (const [index, c] of SLICE_CASES.entries()) {
        const x = sliceInput(c, 500 + index);
        const part = tf.slice(x, c.begin, c.size);
        const name = `slice [${c.shape}] at [${c.begin}] size [${c.size}] ${c.dtype}`;
        expect(part.shape, name).toEqual(c.size);
        expect(part.dtype, name).toBe(c.dtype);
        expect(Array.from(part.dataSync()), name).toEqual(referenceSlice(c, x.dataSync()));
        tf.dispose([x, part]);
      }
      const x = sliceInput({ shape: [6, 9], begin: [], size: [], dtype: 'float32' }, 600);
      for (const axis of [0, 1]) {
        const parts = tf.split(x, axis === 0 ? [1, 2, 3] : [2, 4, 3], axis);
        let start = 0;
        for (const part of parts) {
          const size = axis === 0 ? [part.shape[0]!, 9] : [6, part.shape[1]!];
          const begin = axis === 0 ? [start, 0] : [0, start];
          const c: SliceCase = { shape: [6, 9], begin, size, dtype: 'float32' };
          expect(Array.from(part.dataSync()), `split axis ${axis}`).toEqual(
            referenceSlice(c, x.dataSync()),
          );
          start += part.shape[axis]!;
        }
        tf.dispose(parts);
      }
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('gather matches plain JS over axes and batch dimensions, and rejects bad indices', () => {
      const before = tf.memory().numTensors;
      for (const [index, c] of GATHER_CASES.entries()) {
        const x = sliceInput({ shape: c.shape, begin: [], size: [], dtype: c.dtype }, 700 + index);
        const ids = tf.tensor(c.indices, undefined, 'int32');
        const picked = tf.gather(x, ids, c.axis, c.batchDims);
        const name = `gather [${c.shape}] axis ${c.axis} batchDims ${c.batchDims}`;
        const idShape = ids.shape.slice(c.batchDims);
        expect(picked.shape, name).toEqual([
          ...c.shape.slice(0, c.axis),
          ...idShape,
          ...c.shape.slice(c.axis + 1),
        ]);
        expect(Array.from(picked.dataSync()), name).toEqual(referenceGather(c, x.dataSync()));
        tf.dispose([x, ids, picked]);
      }
      const table = tf.ones([3, 4]);
      const bad = tf.tensor1d([0, 3], 'int32');
      expect(() => tf.gather(table, bad)).toThrow(/not in \[0, 2\]/);
      tf.dispose([table, bad]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('concat matches plain JS along every axis, and is the gradient of split', () => {
      const before = tf.memory().numTensors;
      const shapes = [
        {
          axis: 0,
          parts: [
            [2, 3, 4],
            [1, 3, 4],
            [3, 3, 4],
          ],
        },
        {
          axis: 1,
          parts: [
            [2, 1, 4],
            [2, 3, 4],
          ],
        },
        {
          axis: 2,
          parts: [
            [2, 3, 4],
            [2, 3, 0],
            [2, 3, 5],
            [2, 3, 1],
          ],
        },
      ];
      for (const [index, { axis, parts }] of shapes.entries()) {
        for (const dtype of ['float32', 'int32'] as const) {
          const xs = parts.map((shape, i) =>
            sliceInput({ shape, begin: [], size: [], dtype }, 1000 + 10 * index + i),
          );
          const joined = tf.concat(xs, axis);
          // Reference: the pieces of `joined` sliced back out equal the inputs.
          let start = 0;
          for (const [i, x] of xs.entries()) {
            const c: SliceCase = {
              shape: joined.shape,
              begin: joined.shape.map((_, d) => (d === axis ? start : 0)),
              size: x.shape,
              dtype,
            };
            expect(referenceSlice(c, joined.dataSync()), `concat axis ${axis} part ${i}`).toEqual(
              Array.from(x.dataSync()),
            );
            start += x.shape[axis]!;
          }
          expect(joined.dtype).toBe(dtype);
          tf.dispose([...xs, joined]);
        }
      }
      const x = tf.tensor(seededFloats(6 * 9, 1100), [6, 9]);
      const weights = tf.tensor(seededFloats(6 * 9, 1101), [6, 9]);
      const dx = tf.grad((t: tf.Tensor) => {
        const [a, b, c] = tf.split(t, [2, 4, 3], 1);
        return tf.sum(tf.mul(tf.concat([tf.mul(a!, 2), b!, tf.mul(c!, 3)], 1), weights));
      })(x);
      const w = weights.dataSync();
      const expected = Array.from(w, (value, i) => value * (i % 9 < 2 ? 2 : i % 9 < 6 ? 1 : 3));
      expect(maxRelativeError(dx.dataSync(), expected)).toBeLessThan(1e-6);
      tf.dispose([x, weights, dx]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('clone (Identity) keeps its values when the original is disposed', () => {
      const before = tf.memory().numTensors;
      const x = tf.tensor([1.5, -2, 3], [3]);
      const copy = tf.clone(x);
      x.dispose();
      expect(Array.from(copy.dataSync())).toEqual([1.5, -2, 3]);
      // The gradient tape clones saved inputs: a product's gradient still reads them.
      const a = tf.tensor([2, 3], [2]);
      const da = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, t)))(a);
      expect(Array.from(da.dataSync())).toEqual([4, 6]);
      tf.dispose([copy, a, da]);
      expect(tf.memory().numTensors).toBe(before);
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

const native = await loadOpenBlas();
const hasNative = systemRequirement(
  `The native OpenBLAS kernel (${typeof native === 'string' ? native : 'ok'})`,
  typeof native !== 'string',
  NATIVE_BLAS_HINT,
);

describeBackendConformance('cpu', () => initBackend('cpu'));
describeBackendConformance('wasm, stock kernels', () =>
  initBackend(createWasmBackend({ kernelOverrides: false })),
);
describeBackendConformance('wasm + overrides on XNNPACK', async () => {
  batchMatMulTuning.smallProduct = 0; // the test shapes are small: send them all through the override
  const info = await initBackend(createWasmBackend({ nativeBlas: false }));
  expect(info.patches).toEqual(
    expect.arrayContaining([
      'BatchMatMul (xnnpack)',
      'Sum (xnnpack)',
      'Identity (heap)',
      'Slice (heap)',
      'SplitV (heap)',
      'GatherV2 (heap)',
      'Concat (heap)',
    ]),
  );
});
if (hasNative) {
  describeBackendConformance('wasm + overrides on native OpenBLAS', async () => {
    const info = await initBackend('wasm');
    expect(info.patches).toEqual(
      expect.arrayContaining(['BatchMatMul (openblas)', 'Sum (openblas)']),
    );
  });
}

if (hasNative) {
  describeBackendConformance('native', async () => {
    const info = await initBackend('native');
    // All but the two contracts the WGSL kernels brought (a GPU's): native runs
    // GELU after its own matMul and AdamW per parameter.
    const contracts = KERNEL_CONTRACTS.filter(
      (contract) => contract !== MATMUL_BIAS_GELU && contract !== ADAMW_UPDATE_MULTI,
    );
    expect(info.kernels).toEqual(
      expect.arrayContaining(contracts.map((contract) => contract.name)),
    );
  });
  describeBackendConformance('native, one thread', () =>
    initBackend(createNativeBackend({ threads: 1 })),
  );
}

const defaultSmallSlice = nativeTuning.smallSlice;
if (hasNative) {
  describeBackendConformance('wasm + native OpenBLAS, one threaded sgemm per slice', async () => {
    nativeTuning.smallSlice = 0; // every batched product takes the per-slice loop
    await initBackend('wasm');
  });
}

describe('wasm overrides against the stock wasm kernels', () => {
  beforeAll(() => {
    nativeTuning.smallSlice = defaultSmallSlice; // batched products through sgemmBatch
  });

  const variants = [
    { kind: 'xnnpack', nativeBlas: false },
    ...(hasNative ? [{ kind: 'openblas', nativeBlas: true }] : []),
  ];

  it.each(variants)(
    '$kind: broadcasts outer dimensions both ways, which the stock kernels get wrong',
    async ({ nativeBlas }) => {
      await initBackend(createWasmBackend({ nativeBlas }));
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
    '$kind: gives the stock matMuls, sums, slices, gathers and clones, and frees all wasm memory',
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
        ...SLICE_CASES.map((c, index) =>
          tf.tidy(() => tf.slice(sliceInput(c, 800 + index), c.begin, c.size).dataSync()),
        ),
        ...GATHER_CASES.map((c, index) =>
          tf.tidy(() => {
            const x = sliceInput(
              { shape: c.shape, begin: [], size: [], dtype: c.dtype },
              900 + index,
            );
            return tf
              .gather(x, tf.tensor(c.indices, undefined, 'int32'), c.axis, c.batchDims)
              .dataSync();
          }),
        ),
        tf.tidy(() => tf.clone(tf.range(0, 5)).dataSync()),
        tf.tidy(() =>
          tf
            .concat([tf.reshape(tf.range(0, 6), [2, 3]), tf.reshape(tf.range(0, 4), [2, 2])], 1)
            .dataSync(),
        ),
      ];
      await initBackend(createWasmBackend({ kernelOverrides: false }));
      const stock = run();
      await initBackend(createWasmBackend({ nativeBlas }));
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

describe.runIf(hasNative)('native addon bounds checks', () => {
  it('sgemm, sgemmBatch and adamwUpdate refuse operands outside the heap, and compute inside it', () => {
    const blas = native as NativeBlas;
    const heap = new ArrayBuffer(4 * 64);
    const floats = new Float32Array(heap);
    floats.set([1, 2, 3, 4], 0); // A [2, 2]
    floats.set([5, 6, 7, 8], 4); // B [2, 2]
    const offsets = (...bytes: number[]) => Float64Array.from(bytes);
    blas.sgemmBatch!(
      heap,
      false,
      false,
      2,
      2,
      2,
      2,
      2,
      2,
      offsets(0, 0),
      offsets(16, 16),
      offsets(32, 48),
      2,
    );
    expect(Array.from(floats.subarray(8, 16))).toEqual([19, 22, 43, 50, 19, 22, 43, 50]);
    expect(() =>
      blas.sgemmBatch!(
        heap,
        false,
        false,
        2,
        2,
        2,
        2,
        2,
        2,
        offsets(0),
        offsets(16),
        offsets(248),
        1,
      ),
    ).toThrow(/outside the heap/);
    expect(() =>
      blas.sgemmBatch!(
        heap,
        false,
        false,
        2,
        2,
        2,
        2,
        2,
        2,
        offsets(0, 0),
        offsets(16),
        offsets(32),
        1,
      ),
    ).toThrow(RangeError);
    // adamwUpdate, first step from zero moments: m = 0.1·g, v = 0.05·g², p − lr·sign(g)·(1 − tiny).
    floats.set([1, -2], 32); // param
    floats.set([0, 0, 0, 0], 34); // m, v
    floats.set([0.5, -0.25], 38); // grad
    const adamOffsets = offsets(128, 136, 144, 152, 160, 168, 176);
    blas.adamwUpdate!(heap, adamOffsets, 2, 0.9, 0.95, 1e-8, 0.01 / 0.1, Math.sqrt(0.05), 1, 1);
    expect(Array.from(floats.subarray(40, 42))).toEqual([
      Math.fround(1 - 0.01),
      Math.fround(-2 + 0.01),
    ]);
    expect(Array.from(floats.subarray(42, 44))).toEqual([Math.fround(0.05), Math.fround(-0.025)]);
    expect(() =>
      blas.adamwUpdate!(
        heap,
        offsets(128, 136, 144, 152, 160, 168, 252),
        2,
        0.9,
        0.95,
        1e-8,
        1,
        1,
        1,
        1,
      ),
    ).toThrow(/outside the heap/);
    expect(() => blas.sgemm(heap, false, false, 2, 2, 2, 0, 2, 16, 2, 250, 2)).toThrow(
      /outside the heap/,
    );
  });
});
