import {
  type BatchMatMulAttrs,
  broadcast_util,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  heapLocation,
  type WasmBackendInternals,
  type WasmModule,
  withHeapView,
} from './internals.js';

/** tfjs-backend-wasm's C entry point, `BatchMatMul`, as its own kernel wraps it. */
type CBatchMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: boolean,
  transposeB: boolean,
  outId: number,
) => void;

const wrapped = new WeakMap<WasmModule, CBatchMatMul>();

function cBatchMatMul(wasm: WasmModule): CBatchMatMul {
  let fn = wrapped.get(wasm);
  if (!fn) {
    const types = [
      'number',
      'array',
      'number',
      'number',
      'array',
      'number',
      'number',
      'number',
      'number',
    ];
    fn = wasm.cwrap('BatchMatMul', null, types) as unknown as CBatchMatMul;
    wrapped.set(wasm, fn);
  }
  return fn;
}

const shapeBytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);

/**
 * out [M, N] = a [M, K] @ b [K, N] for C tensor ids, on XNNPACK's fast path:
 * an untransposed, batch-1 call of the C kernel.
 */
export function xnnMatMul(
  backend: WasmBackendInternals,
  aId: number,
  M: number,
  K: number,
  bId: number,
  N: number,
  outId: number,
): void {
  cBatchMatMul(backend.wasm)(
    aId,
    shapeBytes([1, M, K]),
    3,
    bId,
    shapeBytes([1, K, N]),
    3,
    false,
    false,
    outId,
  );
}

/** The [K, N] shape each right operand was first packed as, by tensor data. */
const packedAs = new WeakMap<object, string>();

/**
 * Runs `body` with a C id for `b` as the [K, N] right operand. XNNPACK caches
 * the packed weights under the right operand's id and keys them by id, not
 * shape: a tensor reshaped to another [K, N] (reshape shares data and id)
 * would get stale packing. Its real id is used (so weights stay packed across
 * steps) only while it keeps its first shape; otherwise a fresh view id.
 */
export function withRightOperand<T>(
  backend: WasmBackendInternals,
  b: TensorInfo,
  K: number,
  N: number,
  body: (bId: number) => T,
): T {
  const { id, offset } = heapLocation(backend, b);
  const shape = `${K}x${N}`;
  const first = packedAs.get(b.dataId);
  if (first === undefined) packedAs.set(b.dataId, shape);
  if (first === undefined || first === shape) return body(id);
  return withHeapView(backend, offset, K * N, body);
}

/** Tuning of the override; tests lower `smallProduct` to 0 to exercise it on small shapes. */
export const batchMatMulTuning = {
  /**
   * Below this many multiply-adds the stock kernel wins: its scalar loop
   * costs less than transposing and setting up an XNNPACK operator (decode).
   */
  smallProduct: 1 << 16,
};

/** C-order strides of `shape`. */
function strides(shape: number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1]! * shape[i + 1]!;
  return out;
}

/** For each output batch index, the batch index into an operand with outer dims `dims`. */
export function broadcastIndices(outDims: number[], dims: number[]): number[] {
  const padded = [...new Array<number>(outDims.length - dims.length).fill(1), ...dims];
  const outStrides = strides(outDims);
  const inStrides = strides(padded);
  const total = outDims.reduce((a, b) => a * b, 1);
  const indices = new Array<number>(total);
  for (let i = 0; i < total; i++) {
    let rest = i;
    let index = 0;
    for (let d = 0; d < outDims.length; d++) {
      const coordinate = Math.floor(rest / outStrides[d]!);
      rest -= coordinate * outStrides[d]!;
      if (padded[d] !== 1) index += coordinate * inStrides[d]!;
    }
    indices[i] = index;
  }
  return indices;
}

/** Swap the last two axes with the backend's own Transpose kernel (a copy). */
function transposeLastTwo(x: TensorInfo, backend: unknown): TensorInfo {
  const transpose = getKernel('Transpose', 'wasm');
  if (!transpose) throw new Error('wasm BatchMatMul override: the Transpose kernel is missing');
  const perm = x.shape.map((_, i) => i);
  perm[perm.length - 2] = perm.length - 1;
  perm[perm.length - 1] = perm.length - 2;
  return transpose.kernelFunc({
    inputs: { x },
    backend: backend as never,
    attrs: { perm } as never,
  }) as TensorInfo;
}

/**
 * `BatchMatMul` for wasm that always reaches XNNPACK's fast path.
 *
 * The stock C kernel runs XNNPACK only for an untransposed product with batch
 * 1; every other case (each backward matMul, each attention matMul) falls to a
 * scalar loop at 1–2 GFLOP/s against 25–30. So: materialise transposes with
 * the backend's Transpose kernel (one O(n²) copy against O(n³) work), then
 * call the C kernel once per batch slice on untransposed batch-1 views of the
 * heap. When the right operand is shared across the batch (x @ W for a 3-D
 * x), the slices of the left operand are stacked into one call instead.
 */
export function createBatchMatMulOverride(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    const backend = args.backend as unknown as WasmBackendInternals;
    const aRank = a.shape.length;
    const bRank = b.shape.length;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || aRank < 2 || bRank < 2) {
      return stock.kernelFunc(args); // its own errors for the unsupported cases
    }
    const M = a.shape[transposeA ? aRank - 1 : aRank - 2]!;
    const K = a.shape[transposeA ? aRank - 2 : aRank - 1]!;
    const kB = b.shape[transposeB ? bRank - 1 : bRank - 2]!;
    const N = b.shape[transposeB ? bRank - 2 : bRank - 1]!;
    const aOuter = a.shape.slice(0, -2);
    const bOuter = b.shape.slice(0, -2);
    if (K !== kB || M * N * K === 0) return stock.kernelFunc(args); // shape error, or empty
    const outOuter = broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
    const batchB = bOuter.reduce((x, y) => x * y, 1);
    const batch = outOuter.reduce((x, y) => x * y, 1);

    const batchA = aOuter.reduce((x, y) => x * y, 1);
    // The stock kernel broadcasts only a batch of 1; [2, 1] against [1, 3] it gets wrong.
    const stockBroadcasts =
      batchA === 1 ||
      batchB === 1 ||
      (aOuter.length === bOuter.length && aOuter.every((d, i) => d === bOuter[i]));
    if (batch * M * K * N < batchMatMulTuning.smallProduct && stockBroadcasts) {
      return stock.kernelFunc(args);
    }

    if (M === 1 && batch === 1 && transposeB && !transposeA) {
      // A row times a transposed matrix (decode: logits = x @ wteᵀ) is
      // b [N, K] @ aᵀ [K, 1]: same memory layouts, no transpose, no packing of b.
      const out = backend.makeOutput([...outOuter, M, N], 'float32');
      const bId = heapLocation(backend, b).id;
      withRightOperand(backend, a, K, 1, (aId) =>
        xnnMatMul(backend, bId, N, K, aId, 1, heapLocation(backend, out).id),
      );
      return out;
    }

    const aT = transposeA ? transposeLastTwo(a, backend) : a; // [...aOuter, M, K]
    const bT = transposeB ? transposeLastTwo(b, backend) : b; // [...bOuter, K, N]
    const out = backend.makeOutput([...outOuter, M, N], 'float32');
    const aHeap = heapLocation(backend, aT);
    const bHeap = heapLocation(backend, bT);
    const outHeap = heapLocation(backend, out);
    try {
      if (batchB === 1) {
        // One right operand for every slice: stack the left slices as rows.
        withRightOperand(backend, bT, K, N, (bId) =>
          xnnMatMul(backend, aHeap.id, batch * M, K, bId, N, outHeap.id),
        );
      } else {
        const aIndex = broadcastIndices(outOuter, aOuter);
        const bIndex = broadcastIndices(outOuter, bOuter);
        for (let i = 0; i < batch; i++) {
          const aOffset = aHeap.offset + aIndex[i]! * M * K * 4;
          const bOffset = bHeap.offset + bIndex[i]! * K * N * 4;
          const outOffset = outHeap.offset + i * M * N * 4;
          withHeapView(backend, aOffset, M * K, (aId) =>
            withHeapView(backend, bOffset, K * N, (bId) =>
              withHeapView(backend, outOffset, M * N, (outId) =>
                xnnMatMul(backend, aId, M, K, bId, N, outId),
              ),
            ),
          );
        }
      }
    } finally {
      if (aT !== a) backend.disposeData(aT.dataId);
      if (bT !== b) backend.disposeData(bT.dataId);
    }
    return out;
  };
  return { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc };
}
