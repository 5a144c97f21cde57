/**
 * The optional native addon (packages/backends/native): the kernels of the
 * 'native' backend (with OpenBLAS's `cblas_sgemm` when installed, otherwise
 * the addon's built-in sgemm), and OpenBLAS run directly on the wasm heap for
 * the wasm backend. Node only; absent in browsers.
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
   * The sgemm the native backend's kernels use. With OpenBLAS: the library,
   * its build, and the kernel family it chose for this CPU (`core`, e.g.
   * `Cooperlake`; `OPENBLAS_CORETYPE` overrides it, and `Haswell` on an
   * AVX-512 CPU halves sgemm's speed). With the built-in sgemm (OpenBLAS not
   * found, or {@link NativeBlas.useBlas} chose it): `{ library: 'builtin',
   * config: 'built-in sgemm (AVX2)', core: 'AVX2' }` (`core`: the
   * instruction-set level it runs at). Addons built before the built-in
   * sgemm return null when OpenBLAS was not found, and lack `core` when older still.
   */
  describe(): { library: string; config: string; core?: string } | null;
  /**
   * OpenBLAS as {@link NativeBlas.describe} reports it, or null when it was
   * not found, whichever sgemm the native backend uses. Absent from addons
   * built before the built-in sgemm (there `describe()` means this).
   */
  openblas?(): { library: string; config: string; core: string } | null;
  /**
   * Picks the native backend's sgemm: `'openblas'` (when found), `'builtin'`,
   * or `'auto'` (OpenBLAS when found); returns the one in effect. Call it
   * between kernels, not while one runs. The wasm kernels always use OpenBLAS.
   * Absent from addons built before the built-in sgemm.
   */
  useBlas?(which?: NativeBlasChoice): 'openblas' | 'builtin';
  /**
   * One single-threaded `cblas_sgemm` call, row-major, float32: C = alpha·op(A)·op(B)
   * + beta·C with leading dimensions `lda`, `ldb`, `ldc`, on `library`'s sgemm
   * whatever {@link NativeBlas.useBlas} chose (for tests and benchmarks).
   * Absent from addons built before the built-in sgemm.
   */
  gemm?(
    library: 'builtin' | 'openblas',
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
}

/** Which sgemm the native backend multiplies with: OpenBLAS when found (`'auto'`), OpenBLAS, or the addon's own. */
export type NativeBlasChoice = 'auto' | 'openblas' | 'builtin';

/** The addon as loaded: the BLAS entry points, and the native backend's kernels when it is recent enough. */
export type NativeAddon = NativeBlas & Partial<NativeKernels>;

/** How to get the native addon (and OpenBLAS for the wasm backend's matMuls), in one line. */
export const NATIVE_BLAS_HINT =
  'for 2-5× faster CPU training, build the native addon, which needs a C compiler (Debian: apt-get install build-essential; macOS: xcode-select --install): `pnpm rebuild @gpt2/backends` (in this repository: `pnpm --filter @gpt2/backends build:native`); OpenBLAS is optional and faster still (Debian: apt-get install libopenblas0-pthread; macOS: brew install openblas)';

/** The reason {@link loadOpenBlas} gives when the addon loads but OpenBLAS was not found. */
export const OPENBLAS_NOT_FOUND = 'the addon is built but OpenBLAS was not found';

let loaded: Promise<NativeAddon | string> | undefined;

/**
 * The addon, or why it is unavailable. Loaded once. It loads with or without
 * OpenBLAS: without, the native backend multiplies with its built-in sgemm.
 */
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
      // An addon built before the built-in sgemm has nothing to multiply with without OpenBLAS.
      if (typeof addon.useBlas !== 'function' && addon.describe() === null)
        return `${OPENBLAS_NOT_FOUND} (rebuild the addon to get its built-in sgemm)`;
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

/**
 * The addon when it found OpenBLAS (what the wasm backend's BLAS kernels
 * need), or why not.
 */
export async function loadOpenBlas(): Promise<NativeAddon | string> {
  const addon = await loadNativeBlas();
  if (typeof addon === 'string') return addon;
  const openblas = typeof addon.openblas === 'function' ? addon.openblas() : addon.describe();
  return openblas === null ? OPENBLAS_NOT_FOUND : addon;
}
