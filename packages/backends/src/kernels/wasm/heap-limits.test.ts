/**
 * The wasm heap at its real size: the kernel overrides read and write tensors
 * placed past 2 GiB (unsigned offsets), and allocations the heap cannot serve
 * throw an OutOfMemoryError instead of landing at address 0. The heap grows
 * past 2 GiB through one untouched allocation, so the process's resident
 * memory stays small (the pages are never written).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../init-backend.js';
import { createWasmBackend } from '../../providers/wasm.js';
import { referenceMatMul, seededFloats } from '../../testing/matmul-reference.js';
import { ADAMW_UPDATE } from '../contracts/adamw-update.js';
import { formatBytes, WASM_HEAP_LIMIT_BYTES } from '../contracts/memory-limit.js';
import { OutOfMemoryError } from '../contracts/out-of-memory-error.js';
import { heapGuardTuning, wasmHeapUsage } from './heap-guard.js';
import { heapLocation, type WasmBackendInternals } from './internals.js';

const TWO_GIB = 2 ** 31;

function backend(): WasmBackendInternals & {
  wasm: { _malloc(n: number): number; _free(p: number): void };
} {
  return tf.backend() as never;
}

function offsetOf(t: tf.Tensor): number {
  return heapLocation(backend(), t).offset;
}

/** A tensor whose buffer starts past 2 GiB. */
function high<T extends tf.Tensor>(t: T): T {
  expect(offsetOf(t)).toBeGreaterThan(TWO_GIB);
  return t;
}

describe.each([
  ['xnnpack', false],
  ['native addon, when built', true],
])('wasm heap kernels past 2 GiB (%s)', (_kind, nativeBlas) => {
  let filler = 0;

  beforeAll(async () => {
    await initBackend(createWasmBackend({ nativeBlas }));
    // Everything allocated after this lies above 2 GiB; the filler is never written.
    filler = backend().wasm._malloc(TWO_GIB + 64 * 1024 * 1024);
    expect(filler).toBeGreaterThan(0);
  });

  afterAll(() => {
    backend().wasm._free(filler);
  });

  it('GatherV2, Slice, SplitV, Concat and Identity read and write past 2 GiB', () => {
    const rows = 300;
    const cols = 40;
    const values = seededFloats(rows * cols, 1);
    const table = high(tf.tensor2d(values, [rows, cols]));
    const ids = high(tf.tensor1d([299, 0, 7, 150, 299], 'int32'));
    const row = (r: number) => Array.from(values.subarray(r * cols, (r + 1) * cols));
    tf.tidy(() => {
      const gathered = high(tf.gather(table, ids));
      expect(Array.from(gathered.dataSync())).toEqual([299, 0, 7, 150, 299].flatMap(row));
      const sliced = high(tf.slice(table, [5, 3], [2, 10]));
      expect(Array.from(sliced.dataSync())).toEqual([
        ...row(5).slice(3, 13),
        ...row(6).slice(3, 13),
      ]);
      const [left, right] = tf.split(table, [15, 25], 1) as [tf.Tensor2D, tf.Tensor2D];
      high(left);
      expect(Array.from(right.dataSync().subarray(0, 25))).toEqual(row(0).slice(15));
      const joined = high(tf.concat([right, left], 1));
      expect(Array.from(joined.dataSync().subarray(cols, 2 * cols))).toEqual([
        ...row(1).slice(15),
        ...row(1).slice(0, 15),
      ]);
      const copy = tf.clone(table);
      expect(offsetOf(copy)).toBe(offsetOf(table)); // Identity shares the buffer
    });
    tf.dispose([table, ids]);
  });

  it('BatchMatMul (plain, transposed, batched) and Sum past 2 GiB', () => {
    const [m, k, n] = [64, 96, 80];
    const a = seededFloats(m * k, 2);
    const b = seededFloats(k * n, 3);
    const expected = referenceMatMul(a, b, m, k, n);
    tf.tidy(() => {
      const ta = high(tf.tensor2d(a, [m, k]));
      const tb = high(tf.tensor2d(b, [k, n]));
      const close = (t: tf.Tensor) => {
        const got = t.dataSync();
        for (let i = 0; i < expected.length; i++) {
          expect(Math.abs(got[i]! - expected[i]!)).toBeLessThan(1e-3);
        }
      };
      close(high(tf.matMul(ta, tb)));
      close(tf.matMul(tf.transpose(ta), tb, true, false));
      close(tf.matMul(ta, tf.transpose(tb), false, true));
      const batched = tf.matMul(tf.stack([ta, ta]), tf.stack([tb, tb])); // [2, m, n]
      close(tf.slice(batched, [1, 0, 0], [1, m, n]));
      const sums = high(tf.sum(ta, 0)).dataSync();
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += a[i * k + j]!;
        expect(Math.abs(sums[j]! - s)).toBeLessThan(1e-4);
      }
    });
  });

  it('UnsortedSegmentSum (the embedding gradient) past 2 GiB', () => {
    const table = high(tf.variable(tf.tensor2d(seededFloats(50 * 8, 4), [50, 8])));
    const ids = tf.tensor1d([3, 3, 49, 0], 'int32');
    const grads = tf.variableGrads(() => tf.sum(tf.gather(table, ids)), [table]);
    const g = grads.grads[table.name]!;
    high(g);
    const data = g.dataSync();
    expect(data[3 * 8]).toBe(2);
    expect(data[49 * 8 + 7]).toBe(1);
    expect(data[8]).toBe(0);
    tf.dispose([table, ids, grads.value, g]);
  });

  it('AdamWUpdate past 2 GiB matches its reference chain bit for bit', () => {
    const size = 1000;
    const inputs = {
      param: high(tf.tensor1d(seededFloats(size, 5))),
      m: tf.tensor1d(seededFloats(size, 6)),
      v: tf.abs(tf.tensor1d(seededFloats(size, 7))),
      grad: tf.tensor1d(seededFloats(size, 8)),
    };
    const attrs = {
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      stepSize: 1e-3,
      biasCorrection2Sqrt: 0.3,
      decay: 0.999,
      gradScale: 0.5,
    };
    tf.tidy(() => {
      const reference = ADAMW_UPDATE.reference(inputs, attrs);
      if (tf.getKernel(ADAMW_UPDATE.name, 'wasm')) {
        const fused = tf.engine().runKernel(ADAMW_UPDATE.name, { ...inputs }, {
          ...attrs,
        } as never) as tf.Tensor[];
        fused.forEach((t, i) => {
          high(t);
          expect(Array.from(t.dataSync())).toEqual(Array.from(reference[i]!.dataSync()));
        });
      }
    });
    tf.dispose(Object.values(inputs));
  });
});

describe('the wasm heap guard', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('throws an OutOfMemoryError for a tensor larger than the heap can ever hold', () => {
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      tf.fill([1_200_000_000], 0); // 4.8 GB: never allocated (the byte count would wrap)
    } catch (e) {
      error = e;
    }
    expect(OutOfMemoryError.isInstance(error)).toBe(true);
    const oom = error as OutOfMemoryError;
    expect(oom.backend).toBe('wasm');
    expect(oom.requestedBytes).toBe(4_800_000_000);
    expect(oom.limitBytes).toBe(WASM_HEAP_LIMIT_BYTES);
    expect(oom.message).toContain(formatBytes(WASM_HEAP_LIMIT_BYTES));
    expect(oom.message).toMatch(/native/);
    expect(oom.message).toMatch(/gradient accumulation/);
    expect(oom.message).toMatch(/recompute/);
    expect(oom.message).not.toMatch(/Aborted/);
    expect(tf.memory().numTensors).toBe(before);
    // The backend is intact: the next op is right.
    expect(Array.from(tf.tidy(() => tf.add(tf.scalar(2), tf.scalar(3)).dataSync()))).toEqual([5]);
  });

  it('throws when the heap is too full for the next tensor, and works on once it is freed', () => {
    const wasm = backend().wasm;
    const filler = wasm._malloc(2 * 2 ** 30); // untouched
    expect(wasmHeapUsage(tf.backend())!.liveBytes).toBeGreaterThan(2 * 2 ** 30);
    expect(() => tf.fill([550_000_000], 1)).toThrow(/Out of memory on wasm: allocating 2\.05 GiB/);
    wasm._free(filler);
    const t = tf.fill([1000], 1);
    expect(t.dataSync()[999]).toBe(1);
    t.dispose();
  });

  it('throws when malloc itself fails, not only on the count', () => {
    const wasm = backend().wasm;
    const reserve = heapGuardTuning.reserveBytes;
    heapGuardTuning.reserveBytes = 0;
    try {
      const live = wasmHeapUsage(tf.backend())!.liveBytes;
      // Passes the count, but the heap's own data and stack leave no room for it:
      // malloc returns 0, or a block that wraps past the end of the heap.
      const bytes = WASM_HEAP_LIMIT_BYTES - live - 1024;
      let pointer = 0;
      expect(() => {
        pointer = wasm._malloc(bytes);
      }).toThrow(OutOfMemoryError);
      if (pointer) wasm._free(pointer);
    } finally {
      heapGuardTuning.reserveBytes = reserve;
    }
  });
});
