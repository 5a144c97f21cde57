/**
 * The native backend's kernels against tfjs-backend-cpu's (plain JS, the
 * reference), on shapes large enough to split over the kernel threads, with
 * broadcasting, odd sizes, special values and every dtype they take; then its
 * storage: freed on dispose, never under a caller's feet.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../init-backend.js';
import { createNativeBackend, NATIVE_BUILD_HINT } from '../../providers/native.js';
import { seededFloats } from '../../testing/matmul-reference.js';
import { systemRequirement } from '../../testing/require-system.js';
import type { NativeBackend } from './backend.js';
import { loadNativeBlas } from './native-blas.js';

const addon = await loadNativeBlas();
const hasNative = systemRequirement(
  `The native addon (${typeof addon === 'string' ? addon : 'ok'})`,
  typeof addon !== 'string',
  NATIVE_BUILD_HINT,
);

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
/** Seeded floats in [-scale, scale). */
const floats = (shape: number[], seed: number, scale = 1) =>
  tf.tensor(
    seededFloats(size(shape), seed).map((x) => x * scale),
    shape,
  );
const positive = (shape: number[], seed: number) =>
  tf.tensor(
    seededFloats(size(shape), seed).map((x) => Math.abs(x) * 10 + 1e-3),
    shape,
  );

interface Case {
  name: string;
  run: () => tf.Tensor | tf.Tensor[];
  /** Largest |native − cpu| / max(1, |cpu|). Default 1e-5. */
  tolerance?: number;
}

const BROADCASTS: [number[], number[]][] = [
  [
    [300, 257],
    [300, 257],
  ],
  [[64, 33], [33]],
  [
    [4, 1, 5],
    [1, 3, 1],
  ],
  [[2, 3, 4], []],
  [[], [7, 9]],
  [
    [8, 4, 64, 64],
    [64, 64],
  ],
  [
    [16, 128, 96],
    [16, 128, 1],
  ],
  [[1, 50000], [50000]],
];

type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
const BINARY: Record<string, Binary> = {
  add: tf.add,
  sub: tf.sub,
  mul: tf.mul,
  div: tf.div,
  maximum: tf.maximum,
  minimum: tf.minimum,
  squaredDifference: tf.squaredDifference,
};
const COMPARE: Record<string, Binary> = {
  equal: tf.equal,
  notEqual: tf.notEqual,
  less: tf.less,
  lessEqual: tf.lessEqual,
  greater: tf.greater,
  greaterEqual: tf.greaterEqual,
};
type Reduce = (x: tf.Tensor, axis: number | number[], keepDims: boolean) => tf.Tensor;
const REDUCE: Record<string, Reduce> = {
  sum: tf.sum,
  mean: tf.mean,
  max: tf.max,
  min: tf.min,
  prod: tf.prod,
};

const CASES: Case[] = [
  ...Object.entries(BINARY).flatMap(([op, fn]) =>
    BROADCASTS.map(([a, b], i) => ({
      name: `${op} [${a}] ∘ [${b}]`,
      run: () => fn(floats(a, 10 + i), floats(b, 20 + i)),
      tolerance: op === 'div' ? 1e-4 : 1e-6,
    })),
  ),
  { name: 'pow', run: () => tf.pow(positive([40, 50], 1), floats([50], 2, 3)), tolerance: 1e-5 },
  ...Object.entries(COMPARE).map(([op, fn]) => ({
    name: `${op} (with ties)`,
    run: () => fn(tf.round(floats([100, 70], 3, 3)), tf.round(floats([70], 4, 3))),
  })),
  { name: 'neg', run: () => tf.neg(floats([70000], 5)) },
  { name: 'exp', run: () => tf.exp(floats([70000], 6, 90)), tolerance: 1e-6 },
  {
    name: 'exp of ±inf, NaN, huge',
    run: () => tf.exp(tf.tensor([-Infinity, Infinity, NaN, 89, -105, 0, -87.5, 88.7])),
  },
  { name: 'log', run: () => tf.log(positive([70000], 7)), tolerance: 1e-6 },
  {
    name: 'log of 0, negative, inf, NaN, subnormal',
    run: () => tf.log(tf.tensor([0, -1, Infinity, NaN, 1e-40, 1, 2.5e-38])),
    tolerance: 1e-6,
  },
  { name: 'sigmoid', run: () => tf.sigmoid(floats([70000], 8, 30)), tolerance: 1e-6 },
  { name: 'tanh', run: () => tf.tanh(floats([70000], 9, 6)), tolerance: 1e-6 },
  { name: 'tanh near 0', run: () => tf.tanh(floats([5000], 10, 1e-3)), tolerance: 1e-9 },
  { name: 'sqrt', run: () => tf.sqrt(positive([70000], 11)) },
  { name: 'rsqrt', run: () => tf.rsqrt(positive([70000], 12)) },
  { name: 'square', run: () => tf.square(floats([70000], 13, 4)) },
  { name: 'abs', run: () => tf.abs(floats([70000], 14)) },
  { name: 'relu', run: () => tf.relu(floats([70000], 15)) },
  { name: 'reciprocal', run: () => tf.reciprocal(positive([70000], 16)) },
  { name: 'floor (dropout)', run: () => tf.floor(floats([70000], 18, 3)) },
  { name: 'softplus', run: () => tf.softplus(floats([7000], 17, 20)), tolerance: 1e-6 },
  ...Object.entries(REDUCE).flatMap(([op, fn]) =>
    (
      [
        [[300, 257], 0, false],
        [[300, 257], 1, false],
        [[300, 257], -1, true],
        [[6, 50, 70], [0, 2], false],
        [[6, 50, 70], [1, 2], true],
        [[4, 3, 5000], 1, false],
        [[2, 70000], 1, false],
        [[70000], 0, false],
        [[5, 6], [], false],
      ] as [number[], number | number[], boolean][]
    ).map(([shape, axis, keepDims], i) => ({
      name: `${op} [${shape}] axis ${axis}${keepDims ? ' keepDims' : ''}`,
      run: () =>
        fn(
          op === 'prod' ? tf.add(floats(shape, 30 + i, 0.01), 1) : floats(shape, 30 + i),
          axis,
          keepDims,
        ),
      tolerance: op === 'prod' ? 1e-4 : 2e-6,
    })),
  ),
  { name: 'softmax', run: () => tf.softmax(floats([37, 1000], 40, 20)), tolerance: 1e-6 },
  {
    name: 'softmax of masked rows',
    run: () =>
      tf.softmax(
        tf.tensor([
          [0, -1e9, -1e9],
          [1, 2, -Infinity],
          [-Infinity, -Infinity, 5],
        ]),
      ),
  },
  { name: 'logSoftmax', run: () => tf.logSoftmax(floats([64, 500], 41, 10)), tolerance: 1e-5 },
  {
    name: 'transpose [0, 2, 1, 3]',
    run: () => tf.transpose(floats([16, 128, 4, 32], 42), [0, 2, 1, 3]),
  },
  { name: 'transpose 2-D', run: () => tf.transpose(floats([300, 257], 43)) },
  {
    name: 'transpose [2, 0, 1] int32',
    run: () => tf.transpose(tf.cast(floats([5, 6, 7], 44, 100), 'int32'), [2, 0, 1]),
  },
  { name: 'transpose bool', run: () => tf.transpose(tf.greater(floats([33, 9], 45), 0)) },
  {
    name: 'where (select), float32 and int32',
    run: () => {
      const condition = tf.greater(floats([300, 200], 46), 0);
      return [
        tf.where(condition, floats([300, 200], 47), floats([300, 200], 48)),
        tf.where(
          condition,
          tf.cast(tf.onesLike(condition), 'int32'),
          tf.cast(tf.zerosLike(condition), 'int32'),
        ),
      ];
    },
  },
  {
    name: 'addN',
    run: () => tf.addN([floats([300, 200], 49), floats([300, 200], 50), floats([300, 200], 51)]),
  },
  {
    name: 'cast int32 ⇄ float32 ⇄ bool',
    run: () => {
      const ints = tf.cast(floats([50000], 52, 5), 'int32');
      const bools = tf.cast(ints, 'bool');
      return [
        tf.cast(ints, 'float32'),
        bools,
        tf.cast(bools, 'float32'),
        tf.cast(bools, 'int32'),
        tf.cast(floats([70], 53), 'bool'),
      ];
    },
  },
  {
    name: 'strided slice and split',
    run: () => {
      const x = floats([2048, 384], 54);
      return [
        ...tf.split(x, 3, 1),
        tf.slice(x, [10, 5], [100, 300]),
        tf.slice(floats([4, 5, 6, 7], 55), [1, 0, 2, 3], [2, 5, 3, 4]),
      ];
    },
  },
  {
    name: 'pad (leading axis, and others)',
    run: () => [
      tf.pad(floats([300, 64], 73), [
        [5, 11],
        [0, 0],
      ]),
      tf.pad(
        floats([30, 64], 74),
        [
          [2, 3],
          [1, 0],
        ],
        7,
      ),
    ],
  },
  {
    name: 'concat along each axis',
    run: () =>
      [0, 1, 2].map((axis) =>
        tf.concat([floats([20, 30, 40], 56), floats([20, 30, 40], 57)], axis),
      ),
  },
  {
    name: 'gather rows and its gradient (scatter-add)',
    run: () => {
      const table = floats([500, 96], 58);
      const ids = tf.tensor1d(
        Array.from({ length: 4096 }, (_, i) => (i * 7919) % 500),
        'int32',
      );
      const upstream = floats([4096, 96], 59);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), upstream)))(table);
      return [tf.gather(table, ids), grad];
    },
    tolerance: 1e-5,
  },
  {
    name: 'matMul, large, every transpose, batched and broadcast',
    run: () =>
      [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ].flatMap(([ta, tb]) => [
        tf.matMul(
          floats(ta ? [70, 300] : [300, 70], 60),
          floats(tb ? [90, 70] : [70, 90], 61),
          ta,
          tb,
        ),
        tf.matMul(
          floats(ta ? [3, 70, 100] : [3, 100, 70], 62),
          floats(tb ? [90, 70] : [70, 90], 63),
          ta,
          tb,
        ),
        tf.matMul(floats([2, 3, 33, 20], 64), floats([1, 3, 20, 45], 65), false, false),
        tf.matMul(floats([1, 5000], 66), floats([5000, 64], 67)),
        tf.matMul(floats([64, 128, 32], 68), floats([64, 128, 32], 69), false, true),
      ]),
    tolerance: 1e-5,
  },
  {
    name: 'matMul of a few rows (the GEMV): W [K, N] and [N, K], 1 to 8 rows, bias',
    run: () => [
      tf.matMul(floats([1, 768], 73), floats([768, 2304], 74, 0.1)),
      tf.matMul(floats([3, 257], 75), floats([257, 1000], 76, 0.1)),
      tf.matMul(floats([2, 4, 33], 77), floats([33, 7], 78)),
      tf.matMul(floats([1, 128], 79), floats([50, 128], 80), false, true),
      tf.matMul(floats([5, 300], 81), floats([2000, 300], 82, 0.1), false, true),
      tf.fused.matMul({
        a: floats([2, 64], 83),
        b: floats([64, 300], 84),
        bias: floats([300], 85),
      }),
      tf.fused.matMul({
        a: floats([1, 64], 86),
        b: floats([40, 64], 87),
        bias: floats([40], 88),
        transposeB: true,
      }),
    ],
    tolerance: 1e-5,
  },
  {
    name: 'fused matMul with bias and relu',
    run: () =>
      tf.fused.matMul({
        a: floats([200, 64], 70),
        b: floats([64, 48], 71),
        bias: floats([48], 72),
        activation: 'relu',
      }),
  },
];

async function runOn(backend: 'cpu' | 'native', threads?: number): Promise<Float32Array[][]> {
  await initBackend(backend === 'native' && threads ? createNativeBackend({ threads }) : backend);
  return CASES.map((c) =>
    tf.tidy(() => {
      if (process.env.TIME_CASES) console.time(`${backend} ${c.name}`);
      try {
        return run(c);
      } finally {
        if (process.env.TIME_CASES) console.timeEnd(`${backend} ${c.name}`);
      }
    }),
  );
}

function run(c: Case): Float32Array[] {
  const out = c.run();
  return (Array.isArray(out) ? out : [out]).map((t) => Float32Array.from(t.dataSync()));
}

/**
 * The largest |a − b| / max(1, |b|) over finite b; Infinity when a special
 * value (NaN, ±∞) of b is not matched exactly.
 */
function compare(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(y)) {
      if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) return Infinity;
      continue;
    }
    const error = Math.abs(x - y) / Math.max(1, Math.abs(y));
    if (Number.isNaN(error)) return Infinity;
    worst = Math.max(worst, error);
  }
  return worst;
}

describe.runIf(hasNative)('native backend kernels against the cpu backend', () => {
  let reference: Float32Array[][];
  // ~15 s on a quiet 2-core machine; the slack is for a loaded one.
  beforeAll(async () => {
    reference = await runOn('cpu');
  }, 180_000);

  // 2 threads (every core here) run in the conformance suite; 3 splits unevenly.
  for (const threads of [1, 3]) {
    it(`agree on ${CASES.length} cases, ${threads} kernel thread${threads === 1 ? '' : 's'}`, async () => {
      const outputs = await runOn('native', threads);
      const before = tf.memory().numTensors;
      for (const [i, c] of CASES.entries()) {
        const expected = reference[i]!;
        expect(outputs[i]!.length, c.name).toBe(expected.length);
        for (const [k, values] of outputs[i]!.entries()) {
          const want = expected[k]!;
          expect(values.length, `${c.name} #${k}`).toBe(want.length);
          expect(compare(values, want), `${c.name} #${k}`).toBeLessThan(c.tolerance ?? 1e-5);
        }
      }
      expect(tf.memory().numTensors).toBe(before);
    }, 180_000); // beside the SwiftShader files of this package on 2 cores, 60 s was not enough
  }

  it('recycles a kernel output on dispose, but never an array a caller holds', async () => {
    await initBackend('native');
    const backend = tf.backend() as NativeBackend;
    backend.emptyCache();
    const dataIds = backend.numDataIds();
    const userValues = new Float32Array(100_000).fill(2);
    const user = tf.tensor(userValues);
    const product = tf.mul(user, user);
    const storage = backend.values(product);
    expect(storage.byteLength).toBe(400_000);
    product.dispose();
    expect(backend.cachedBytes).toBe(400_000); // kept for reuse...
    const sum = tf.add(user, user);
    expect(backend.values(sum).buffer).toBe(storage.buffer); // ...by the next output of its size
    expect(backend.cachedBytes).toBe(0);
    tf.dispose([sum, user]);
    expect(userValues.byteLength).toBe(400_000); // the caller's array is neither reused nor freed
    expect(backend.cachedBytes).toBe(400_000);
    backend.emptyCache();
    expect(storage.byteLength).toBe(0); // detached: the memory is back
    const read = tf.tidy(() => tf.add(tf.ones([100_000]), 1).dataSync());
    expect(backend.cachedBytes).toBe(0); // a read escapes: never reused...
    expect(read[99_999]).toBe(2); // ...and stays valid after dispose
    // Views share a buffer: the slice outlives the tensor it views.
    const whole = tf.tidy(() => tf.add(tf.ones([200, 500]), 1));
    const rows = tf.slice(whole, [100, 0], [100, 500]);
    whole.dispose();
    expect(backend.cachedBytes).toBe(0);
    expect(rows.dataSync()[0]).toBe(2);
    rows.dispose();
    // A view smaller than the tracking threshold still holds its buffer.
    const big = tf.tidy(() => tf.add(tf.ones([100, 1000]), 1));
    const row = tf.slice(big, [3, 0], [1, 100]);
    big.dispose();
    const other = tf.tidy(() => tf.add(tf.zeros([100, 1000]), 5)); // would take big's buffer
    expect(Array.from(row.dataSync().slice(0, 3))).toEqual([2, 2, 2]);
    tf.dispose([row, other]);
    expect(backend.numDataIds()).toBe(dataIds);
    backend.emptyCache();
  });

  it('keeps RSS and the tensor count flat over 100 training steps', async () => {
    await initBackend('native');
    const w1 = tf.variable(floats([256, 1024], 80, 0.05));
    const w2 = tf.variable(floats([1024, 256], 81, 0.05));
    const x = floats([512, 256], 82);
    const target = floats([512, 256], 83);
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() =>
          tf.mean(tf.squaredDifference(tf.matMul(tf.tanh(tf.matMul(x, w1)), w2), target)),
        );
        w1.assign(tf.sub(w1, tf.mul(grads[w1.name]!, 0.01)));
        w2.assign(tf.sub(w2, tf.mul(grads[w2.name]!, 0.01)));
      });
    for (let i = 0; i < 20; i++) step();
    const tensors = tf.memory().numTensors;
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 100; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    // Each step allocates ~12 MB; without reuse or release that would be 1.2 GB.
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 ** 2);
    tf.dispose([w1, w2, x, target]);
  });

  it('rejects out-of-range gather indices with the cpu message', async () => {
    await initBackend('native');
    const table = tf.ones([3, 4]);
    const bad = tf.tensor1d([0, 3], 'int32');
    expect(() => tf.gather(table, bad)).toThrow('GatherV2: the index value 3 is not in [0, 2]');
    tf.dispose([table, bad]);
  });
});
