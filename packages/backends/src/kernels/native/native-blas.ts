/**
 * The optional native addon (packages/backends/native): OpenBLAS's
 * `cblas_sgemm` run directly on the wasm heap, and the kernels of the
 * 'native' backend. Node only; absent in browsers.
 */
import type { NativeKernels } from './native-kernels.js';

/** The addon's functions. Offsets are in bytes into `heap` (the wasm memory). */
export interface NativeBlas {
  /** C[m, n] = op(A) @ op(B), row-major, float32. */
  sgemm(
    heap: ArrayBuffer,
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    aOffset: number,
    lda: number,
    bOffset: number,
    ldb: number,
    cOffset: number,
    ldc: number,
  ): void;
  /**
   * C_i[m, n] = op(A_i) @ op(B_i) for each i, at the byte offsets in the three
   * arrays, the slices shared out over `threads` threads that each run
   * single-threaded sgemms. Absent from addons built before it was added.
   */
  sgemmBatch?(
    heap: ArrayBuffer,
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    aOffsets: Float64Array,
    bOffsets: Float64Array,
    cOffsets: Float64Array,
    threads: number,
  ): void;
  /**
   * One AdamW step over `size` floats, in float32 (see `AdamWUpdateAttrs`).
   * `offsets`: byte offsets of param, m, v, grad, then the three outputs.
   * Absent from addons built before it was added.
   */
  adamwUpdate?(
    heap: ArrayBuffer,
    offsets: Float64Array,
    size: number,
    beta1: number,
    beta2: number,
    eps: number,
    stepSize: number,
    biasCorrection2Sqrt: number,
    decay: number,
    gradScale: number,
  ): void;
  /** out[c] = Σ_r x[r, c] for x [rows, cols]. */
  sumRows(heap: ArrayBuffer, xOffset: number, rows: number, cols: number, outOffset: number): void;
  setThreads(threads: number): void;
  threads(): number;
  /**
   * The OpenBLAS library, its build, and the kernel family it chose for this
   * CPU (`core`, e.g. `Cooperlake`; `OPENBLAS_CORETYPE` overrides it, and
   * `Haswell` on an AVX-512 CPU halves sgemm's speed), or null when OpenBLAS
   * was not found. `core` is absent from addons built before it was added.
   */
  describe(): { library: string; config: string; core?: string } | null;
}

/** The addon as loaded: the BLAS entry points, and the native backend's kernels when it is recent enough. */
export type NativeAddon = NativeBlas & Partial<NativeKernels>;

/** How to get the native kernel, in one line. */
export const NATIVE_BLAS_HINT =
  'for 2-3× faster CPU training, install a C compiler and OpenBLAS (Debian: apt-get install build-essential libopenblas0-pthread; macOS: brew install openblas) then build it: `pnpm rebuild @gpt2/backends` (in this repository: `pnpm --filter @gpt2/backends build:native`)';

let loaded: Promise<NativeAddon | string> | undefined;

/** The addon, or why it is unavailable. Loaded once. */
export function loadNativeBlas(): Promise<NativeAddon | string> {
  loaded ??= (async () => {
    const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
    if (!process?.versions?.node) return 'not in Node.js';
    try {
      // A variable specifier keeps bundlers from resolving node:module for browsers.
      const specifier = 'node:module';
      const { createRequire } = (await import(/* @vite-ignore */ specifier)) as {
        createRequire(url: string): (id: string) => unknown;
      };
      const require = createRequire(import.meta.url);
      // The same path from src/kernels/native and dist/kernels/native.
      const addon = require('../../../native/build/gpt2_blas.node') as NativeAddon;
      if (addon.describe() === null) return 'the addon is built but OpenBLAS was not found';
      return addon;
    } catch (error) {
      const message = String((error as Error)?.message ?? error).split('\n')[0] ?? '';
      return /cannot find module/i.test(message)
        ? 'the addon is not built'
        : `failed to load: ${message}`;
    }
  })();
  return loaded;
}
