import {
  type _FusedMatMulAttrs,
  type BatchMatMulAttrs,
  broadcast_util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { broadcastIndices } from '../wasm/batch-mat-mul.js';
import type { NativeBackend } from './backend.js';

/**
 * `BatchMatMul` and `_FusedMatMul` on OpenBLAS: the transposes are sgemm
 * flags (nothing is copied), a right operand shared by the whole batch
 * makes one product of all the left rows, and broadcast batches index
 * their slices. The addon splits the work over its threads. A product of a
 * few rows with a shared right operand is the addon's GEMV instead.
 */
function matMul(
  backend: NativeBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: TensorInfo | undefined,
  relu: boolean,
): TensorInfo | undefined {
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || aRank < 2 || bRank < 2) return undefined;
  const M = a.shape[transposeA ? aRank - 1 : aRank - 2]!;
  const K = a.shape[transposeA ? aRank - 2 : aRank - 1]!;
  const kB = b.shape[transposeB ? bRank - 1 : bRank - 2]!;
  const N = b.shape[transposeB ? bRank - 2 : bRank - 1]!;
  if (K !== kB) return undefined; // the stock kernel throws its own error
  const aOuter = a.shape.slice(0, -2);
  const bOuter = b.shape.slice(0, -2);
  const outOuter = broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
  const outShape = [...outOuter, M, N];
  const biasSize = bias ? util.sizeFromShape(bias.shape) : 0;
  if (
    bias &&
    (bias.dtype !== 'float32' || !(biasSize === 1 || (biasSize === N && bias.shape.at(-1) === N)))
  ) {
    return undefined; // a bias that is not per column
  }
  const batch = util.sizeFromShape(outOuter);
  const out = backend.allocate('float32', batch * M * N) as Float32Array;
  const biasValues = bias ? (backend.values(bias) as Float32Array) : null;
  const aValues = backend.values(a) as Float32Array;
  const bValues = backend.values(b) as Float32Array;
  const batchA = util.sizeFromShape(aOuter);
  const batchB = util.sizeFromShape(bOuter);
  const rows = batch * M;
  if (
    batchB === 1 &&
    !transposeA &&
    !relu &&
    rows <= backend.addon.gemvMaxRows &&
    (!bias || biasSize === N)
  ) {
    // A few rows (a decode step, the last-position head): a GEMV that streams
    // W once on every thread, where sgemm would pack it first.
    backend.streamed(bValues);
    const scratch = transposeB ? null : backend.scratch(backend.addon.gemvScratch(rows, N));
    try {
      backend.addon.gemv(aValues, bValues, out, rows, K, N, transposeB, biasValues, scratch);
    } finally {
      if (scratch) backend.releaseScratch(scratch);
    }
  } else if (batchB === 1 && !transposeA) {
    // x [..., M, K] @ W [K, N]: one product over all the rows.
    backend.addon.matmul(
      aValues,
      bValues,
      out,
      1,
      batch * M,
      N,
      K,
      false,
      transposeB,
      null,
      null,
      biasValues,
      relu,
    );
  } else {
    const same = (outer: number[], size: number) =>
      size === batch &&
      outer.length === outOuter.length &&
      outer.every((d, i) => d === outOuter[i]);
    const aIndex = same(aOuter, batchA)
      ? null
      : Int32Array.from(broadcastIndices(outOuter, aOuter));
    const bIndex = same(bOuter, batchB)
      ? null
      : Int32Array.from(broadcastIndices(outOuter, bOuter));
    backend.addon.matmul(
      aValues,
      bValues,
      out,
      batch,
      M,
      N,
      K,
      transposeA,
      transposeB,
      aIndex,
      bIndex,
      biasValues,
      relu,
    );
  }
  return backend.output(outShape, 'float32', out);
}

export function createNativeBatchMatMul(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
    const backend = args.backend as unknown as NativeBackend;
    const out = matMul(
      backend,
      args.inputs.a as TensorInfo,
      args.inputs.b as TensorInfo,
      transposeA,
      transposeB,
      undefined,
      false,
    );
    return out ?? stock.kernelFunc(args);
  };
  return { kernelName: 'BatchMatMul', backendName: 'native', kernelFunc };
}

export function createNativeFusedMatMul(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { transposeA, transposeB, activation } = args.attrs as unknown as _FusedMatMulAttrs;
    const backend = args.backend as unknown as NativeBackend;
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<
      string,
      TensorInfo | undefined
    >;
    if (
      preluActivationWeights ||
      (activation !== 'linear' && activation !== 'relu' && activation !== undefined)
    ) {
      return stock.kernelFunc(args);
    }
    const out = matMul(backend, a!, b!, transposeA, transposeB, bias, activation === 'relu');
    return out ?? stock.kernelFunc(args);
  };
  return { kernelName: '_FusedMatMul', backendName: 'native', kernelFunc };
}
