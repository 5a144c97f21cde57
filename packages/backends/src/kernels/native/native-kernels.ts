/**
 * The native backend's entry points in the addon (native/gpt2_kernels.c).
 * Every array is a tensor's own storage, read and written in place; sizes
 * are in elements. The addon checks each array's type and length against
 * the sizes it is given and throws rather than reading past an end.
 */

/** Binary element-wise ops, by the addon's numbering (`binary`). */
export const BINARY_OP = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
  Pow: 7,
  Equal: 16,
  NotEqual: 17,
  Less: 18,
  LessEqual: 19,
  Greater: 20,
  GreaterEqual: 21,
} as const;

/** Unary element-wise ops, by the addon's numbering (`unary`). */
export const UNARY_OP = {
  Neg: 0,
  Exp: 1,
  Log: 2,
  Sigmoid: 3,
  Tanh: 4,
  Sqrt: 5,
  Rsqrt: 6,
  Square: 7,
  Abs: 8,
  Relu: 9,
  Reciprocal: 10,
  Log1p: 11,
  Expm1: 12,
  Softplus: 13,
  Floor: 14,
} as const;

/** Reductions, by the addon's numbering (`reduce`). */
export const REDUCE_OP = { Sum: 0, Max: 1, Min: 2, Mean: 3, Prod: 4 } as const;

type Storage = Float32Array | Int32Array | Uint8Array;

/** The inference kernels (native/gpt2_decode.c): the GPT-2 block with a KV cache, few-row products. */
export interface NativeDecodeKernels {
  /**
   * One block: `weights` in the order of `BLOCK_WEIGHTS` (block.ts; null for an
   * absent bias), keys/values [L + T, B, C] (the past rows are copied in when
   * they are not past's own storage), y [B·T, C].
   */
  gpt2Block(
    x: Float32Array,
    weights: (Float32Array | null)[],
    pastKeys: Float32Array | null,
    pastValues: Float32Array | null,
    keys: Float32Array,
    values: Float32Array,
    y: Float32Array,
    scratch: Float32Array,
    B: number,
    T: number,
    L: number,
    C: number,
    nHead: number,
    epsilon: number,
  ): void;
  /** Floats of scratch {@link NativeDecodeKernels.gpt2Block} needs for `rows` = B·T. */
  gpt2BlockScratch(rows: number, C: number): number;
  /** y [M, N] = x [M, K] @ W (+ bias): W [K, N], or [N, K] with `transposeW`; M ≤ gemvMaxRows. */
  gemv(
    x: Float32Array,
    w: Float32Array,
    y: Float32Array,
    M: number,
    K: number,
    N: number,
    transposeW: boolean,
    bias: Float32Array | null,
    scratch: Float32Array | null,
  ): void;
  /** Floats of scratch {@link NativeDecodeKernels.gemv} needs (W [K, N]). */
  gemvScratch(M: number, N: number): number;
  /** The most rows {@link NativeDecodeKernels.gemv} takes. */
  readonly gemvMaxRows: number;
  /**
   * Advise the array's memory onto 2 MiB pages (native/gpt2_memory.c), moving
   * it there in place when `filled`; returns the bytes now on huge pages (0
   * where the system does not do it). A hint: values never change.
   */
  hugePages(values: ArrayBufferView, filled: boolean): number;
}

/** The kernels. Absent from addons built before the native backend existed. */
export interface NativeKernels extends NativeDecodeKernels {
  /**
   * out[i] = op(a[aIndex[i]]) @ op(b[bIndex[i]]) (+ bias, then relu) for i < batch,
   * each slice [M, K] @ [K, N] row-major; a null index array means slice i.
   */
  matmul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batch: number,
    M: number,
    N: number,
    K: number,
    transposeA: boolean,
    transposeB: boolean,
    aIndex: Int32Array | null,
    bIndex: Int32Array | null,
    bias: Float32Array | null,
    relu: boolean,
  ): void;
  /** out = a ∘ b with broadcasting; `plan` = [rank, shape…, a strides…, b strides…]. */
  binary(
    op: number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array | Uint8Array,
    plan: Float64Array,
  ): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  /** out[o, i] = reduce over s of x[o, s, i]. */
  reduce(
    op: number,
    x: Float32Array,
    out: Float32Array,
    outer: number,
    size: number,
    inner: number,
  ): void;
  /** Softmax (or log-softmax) of each row of x [rows, cols]. */
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number, log: boolean): void;
  /** dst = src from `offset` with `plan` = [rank, shape…, strides…] (element strides): slices and transposes. */
  copyStrided(src: Storage, offset: number, dst: Storage, plan: Float64Array): void;
  /**
   * x [batch, outer, dim, inner], indices [batch, count] → out [batch, outer, count, inner].
   * Returns -1, or the position of the first index outside [0, dim) (nothing written).
   */
  gather(
    x: Storage,
    indices: Int32Array,
    out: Storage,
    batch: number,
    outer: number,
    dim: number,
    inner: number,
  ): number;
  /** out (zeroed first) [segments, rowSize]: out[ids[r]] += values[r]. */
  scatterAdd(
    values: Float32Array,
    ids: Int32Array,
    out: Float32Array,
    rows: number,
    rowSize: number,
    segments: number,
  ): void;
  /** inputs[i] [outer, inner_i] side by side → out [outer, Σ inner_i]. */
  concat(inputs: Storage[], out: Storage, outer: number): void;
  /** out = condition ? a : b (4-byte elements, one length). */
  select(
    condition: Uint8Array,
    a: Float32Array | Int32Array,
    b: Float32Array | Int32Array,
    out: Float32Array | Int32Array,
  ): void;
  addN(inputs: Float32Array[], out: Float32Array): void;
  /** int32 → float32, bool → float32 or int32, float32 or int32 → bool, by the arrays' types. */
  cast(x: Storage, out: Storage): void;
  /** One AdamW step (see `AdamWUpdateAttrs`) into three new arrays. */
  adamw(
    param: Float32Array,
    m: Float32Array,
    v: Float32Array,
    grad: Float32Array,
    paramOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    beta1: number,
    beta2: number,
    eps: number,
    stepSize: number,
    biasCorrection2Sqrt: number,
    decay: number,
    gradScale: number,
  ): void;
  /** Detach the array's ArrayBuffer: its memory is freed now, not at the next garbage collection. */
  release(values: ArrayBufferView): void;
  /** Kernel threads, the calling thread included. */
  poolThreads(): number;
  /** Restart the pool with `threads` threads; returns the number running. */
  setPoolThreads(threads: number): number;
  /** How long idle kernel threads spin before they sleep, in nanoseconds. */
  setPoolSpin(nanoseconds: number): void;
}

/** The kernel functions every native backend needs; an older addon lacks some. */
export const REQUIRED_KERNELS: readonly (keyof NativeKernels)[] = [
  'matmul',
  'binary',
  'unary',
  'reduce',
  'softmax',
  'copyStrided',
  'gather',
  'scatterAdd',
  'concat',
  'select',
  'addN',
  'cast',
  'adamw',
  'release',
  'poolThreads',
  'setPoolThreads',
  'setPoolSpin',
  'gpt2Block',
  'gpt2BlockScratch',
  'gemv',
  'gemvScratch',
  'hugePages',
];
