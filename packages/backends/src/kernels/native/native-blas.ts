/**
 * The optional native BLAS addon (packages/backends/native): OpenBLAS's
 * `cblas_sgemm` run directly on the wasm heap. Node only; absent in browsers.
 */

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
  /** out[c] = Σ_r x[r, c] for x [rows, cols]. */
  sumRows(heap: ArrayBuffer, xOffset: number, rows: number, cols: number, outOffset: number): void;
  setThreads(threads: number): void;
  threads(): number;
  /** The OpenBLAS library and build, or null when OpenBLAS was not found. */
  describe(): { library: string; config: string } | null;
}

/** How to get the native kernel, in one line. */
export const NATIVE_BLAS_HINT =
  'for 2-3× faster CPU training, install a C compiler and OpenBLAS (Debian: apt-get install build-essential libopenblas0-pthread; macOS: brew install openblas) then build it: `pnpm rebuild @gpt2/backends` (in this repository: `pnpm --filter @gpt2/backends build:native`)';

let loaded: Promise<NativeBlas | string> | undefined;

/** The addon, or why it is unavailable. Loaded once. */
export function loadNativeBlas(): Promise<NativeBlas | string> {
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
      const addon = require('../../../native/build/gpt2_blas.node') as NativeBlas;
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
