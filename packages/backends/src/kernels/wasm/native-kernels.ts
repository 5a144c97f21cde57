import {
  type BatchMatMulAttrs,
  broadcast_util,
  type KernelConfig,
  type KernelFunc,
  type SumAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/native-blas.js';
import { broadcastIndices } from './batch-mat-mul.js';
import { heapLocation, type WasmBackendInternals } from './internals.js';

/** Tuning of the native kernels (tests lower the threshold to cover both paths). */
export const nativeTuning = {
  /**
   * Batched products whose slices have at most this many multiply-adds go
   * through `sgemmBatch` (slices in parallel, one thread each). Attention's
   * per-head products (T·T·hd = 524k at T = 128, hd = 32) ran twice as fast
   * that way as through OpenBLAS's own threading on 2 cores.
   */
  smallSlice: 1 << 22,
  /** Multiply-adds per thread below which `sgemmBatch` uses fewer threads (starting one costs ~20 µs). */
  workPerThread: 1 << 21,
};

/**
 * `BatchMatMul` for wasm on OpenBLAS (the native addon), reading and writing
 * the wasm heap in place. sgemm takes the transposes as flags, so nothing is
 * copied; batched products are one sgemm per slice, or one in all when the
 * right operand is shared and the left is not transposed.
 */
export function createNativeBatchMatMul(stock: KernelConfig, blas: NativeBlas): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
    const aRank = a.shape.length;
    const bRank = b.shape.length;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || aRank < 2 || bRank < 2) {
      return stock.kernelFunc(args);
    }
    const M = a.shape[transposeA ? aRank - 1 : aRank - 2]!;
    const K = a.shape[transposeA ? aRank - 2 : aRank - 1]!;
    const kB = b.shape[transposeB ? bRank - 1 : bRank - 2]!;
    const N = b.shape[transposeB ? bRank - 2 : bRank - 1]!;
    if (K !== kB || M * N * K === 0) return stock.kernelFunc(args);
    const aOuter = a.shape.slice(0, -2);
    const bOuter = b.shape.slice(0, -2);
    const outOuter = broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
    const batch = util.sizeFromShape(outOuter);
    const backend = args.backend as unknown as WasmBackendInternals;
    const out = backend.makeOutput([...outOuter, M, N], 'float32');
    // Read the heap after makeOutput: growing the memory replaces the buffer.
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    const aOffset = heapLocation(backend, a).offset;
    const bOffset = heapLocation(backend, b).offset;
    const outOffset = heapLocation(backend, out).offset;
    const lda = transposeA ? M : K;
    const ldb = transposeB ? K : N;
    if (util.sizeFromShape(bOuter) === 1 && !transposeA) {
      blas.sgemm(
        heap,
        false,
        transposeB,
        batch * M,
        N,
        K,
        aOffset,
        lda,
        bOffset,
        ldb,
        outOffset,
        N,
      );
      return out;
    }
    const aIndex = broadcastIndices(outOuter, aOuter);
    const bIndex = broadcastIndices(outOuter, bOuter);
    if (blas.sgemmBatch && M * N * K <= nativeTuning.smallSlice) {
      // Small slices (attention heads): one single-threaded sgemm per slice,
      // the slices spread over the threads, instead of OpenBLAS threading each.
      const aOffsets = new Float64Array(batch);
      const bOffsets = new Float64Array(batch);
      const cOffsets = new Float64Array(batch);
      for (let i = 0; i < batch; i++) {
        aOffsets[i] = aOffset + aIndex[i]! * M * K * 4;
        bOffsets[i] = bOffset + bIndex[i]! * K * N * 4;
        cOffsets[i] = outOffset + i * M * N * 4;
      }
      // A thread per share only where the share is worth starting a thread for (not decode).
      const work = Math.floor((batch * M * N * K) / nativeTuning.workPerThread);
      const threads = Math.max(1, Math.min(blas.threads(), work));
      blas.sgemmBatch(
        heap,
        transposeA,
        transposeB,
        M,
        N,
        K,
        lda,
        ldb,
        N,
        aOffsets,
        bOffsets,
        cOffsets,
        threads,
      );
      return out;
    }
    for (let i = 0; i < batch; i++) {
      blas.sgemm(
        heap,
        transposeA,
        transposeB,
        M,
        N,
        K,
        aOffset + aIndex[i]! * M * K * 4,
        lda,
        bOffset + bIndex[i]! * K * N * 4,
        ldb,
        outOffset + i * M * N * 4,
        N,
      );
    }
    return out;
  };
  return { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc };
}

/** `Sum` over leading axes on the native addon (a vectorised row sum); the rest goes to the stock kernel. */
export function createNativeSum(stock: KernelConfig, blas: NativeBlas): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading || axes.length === 0 || axes.length === x.shape.length) {
      return stock.kernelFunc(args);
    }
    const R = util.sizeFromShape(x.shape.slice(0, axes.length));
    const kept = x.shape.slice(axes.length);
    const C = util.sizeFromShape(kept);
    if (R * C === 0) return stock.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackendInternals;
    const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    blas.sumRows(heap, heapLocation(backend, x).offset, R, C, heapLocation(backend, out).offset);
    return out;
  };
  return { kernelName: 'Sum', backendName: 'wasm', kernelFunc };
}
