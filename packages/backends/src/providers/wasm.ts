/**
 * `@gpt2/backends/wasm`: WebAssembly kernels (`@tensorflow/tfjs-backend-wasm`,
 * an optional peer dependency), with this package's faster overrides and, in
 * Node, the optional native OpenBLAS addon.
 */
import { importNodeOnly, isNode } from '../environment.js';
import type { NativeBlas } from '../kernels/native/native-blas.js';
import { guardWasmHeap } from '../kernels/wasm/heap-guard.js';
import { registerWasmKernels } from '../kernels/wasm/register.js';
import type { BackendProvider } from '../provider.js';
import { importBackendPackage, switchTo } from './activate.js';

const PACKAGE = '@tensorflow/tfjs-backend-wasm';

/** Options for {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Where tfjs-backend-wasm's `.wasm` binaries are served: a URL prefix ending
   * in `/`, or a map from file name (`tfjs-backend-wasm.wasm`,
   * `tfjs-backend-wasm-simd.wasm`, `tfjs-backend-wasm-threaded-simd.wasm`) to
   * URL, as tfjs's `setWasmPaths` takes them. Bundled web apps need it (with
   * Vite: `import url from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'`).
   * Takes effect only before the wasm backend first initialises. Default:
   * beside tfjs-backend-wasm's own script (in Node, its `dist` folder).
   */
  wasmPaths?: string | Readonly<Record<string, string>>;
  /**
   * Replace slow stock kernels with this package's faster overrides
   * (`BatchMatMul` and `Sum` on XNNPACK's fast path, heap copies for
   * `Slice`, `Concat`, `GatherV2` and `Identity`). They are checked against
   * the backend's internals at activation and left out, with one warning, when
   * those do not match. Default: {@link DEFAULT_WASM_BACKEND_OPTIONS}.kernelOverrides (true).
   */
  kernelOverrides?: boolean;
  /**
   * In Node, let the optional native addon (OpenBLAS `sgemm` on the wasm heap,
   * and the fused `AdamWUpdate` kernel) serve the overrides when it is built;
   * otherwise they run on XNNPACK, and one line says how to build it.
   * Default: {@link DEFAULT_WASM_BACKEND_OPTIONS}.nativeBlas (true).
   */
  nativeBlas?: boolean;
  /**
   * Threads for the native BLAS kernel. Default: OpenBLAS's own
   * (`OPENBLAS_NUM_THREADS`, or every core).
   */
  blasThreads?: number;
}

/** Defaults of {@link WasmBackendOptions}. */
export const DEFAULT_WASM_BACKEND_OPTIONS = {
  kernelOverrides: true,
  nativeBlas: true,
} as const;

let hinted = false;

/** The native BLAS addon when wanted and loadable; otherwise one line on how to get it. */
async function loadNative(
  wanted: boolean,
  blasThreads: number | undefined,
): Promise<NativeBlas | undefined> {
  if (!wanted || !isNode()) return undefined;
  // Out of web bundles: the addon loader needs node:module and a .node file.
  const native = await importNodeOnly<typeof import('../kernels/native/native-blas.js')>(
    '../kernels/native/native-blas.js',
    import.meta.url,
  );
  const blas = await native.loadOpenBlas();
  if (typeof blas === 'string') {
    if (!hinted) {
      hinted = true;
      console.warn(
        blas === native.OPENBLAS_NOT_FOUND
          ? "@gpt2/backends: the wasm backend's OpenBLAS matMuls are unavailable (OpenBLAS not found): the native backend ('auto' picks it) is faster here; or install OpenBLAS (Debian: apt-get install libopenblas0-pthread; macOS: brew install openblas)."
          : `@gpt2/backends: native BLAS kernel unavailable (${blas}); ${native.NATIVE_BLAS_HINT}.`,
      );
    }
    return undefined;
  }
  if (blasThreads !== undefined) blas.setThreads(blasThreads);
  return blas;
}

/**
 * WebAssembly kernels (XNNPACK), with SIMD; multi-threaded only in
 * cross-origin-isolated browsers. In Node, matMuls and row sums go to
 * OpenBLAS through the native addon when it is built. The heap (at most
 * 4 GiB, wasm32) is guarded: an allocation it cannot serve throws an
 * `OutOfMemoryError` (@gpt2/backends/kernels) that says the ways out.
 *
 * ```ts
 * import { initBackend } from '@gpt2/backends';
 * import { createWasmBackend } from '@gpt2/backends/wasm';
 * await initBackend(createWasmBackend({ wasmPaths: '/assets/tfjs/' }));
 * ```
 *
 * @throws RangeError for a `blasThreads` that is not a positive integer.
 */
export function createWasmBackend(options: WasmBackendOptions = {}): BackendProvider {
  const kernelOverrides = options.kernelOverrides ?? DEFAULT_WASM_BACKEND_OPTIONS.kernelOverrides;
  const nativeBlas = options.nativeBlas ?? DEFAULT_WASM_BACKEND_OPTIONS.nativeBlas;
  const { blasThreads, wasmPaths } = options;
  if (blasThreads !== undefined && !(Number.isInteger(blasThreads) && blasThreads >= 1)) {
    throw new RangeError(`blasThreads must be a positive integer, got ${blasThreads}.`);
  }
  return {
    name: 'wasm',
    runsIn: 'both',
    async activate(context) {
      const wasm = await importBackendPackage(
        'wasm',
        PACKAGE,
        () => import('@tensorflow/tfjs-backend-wasm'),
      );
      // No effect once the backend has initialised (tfjs fetches the binary once).
      if (wasmPaths !== undefined) wasm.setWasmPaths(wasmPaths as Record<string, string>);
      await switchTo(
        context,
        'wasm',
        'wasm',
        'in a browser, serve the .wasm files and pass their URLs: createWasmBackend({ wasmPaths }).',
      );
      // Out-of-memory becomes an OutOfMemoryError, never a tensor at address 0 or `Aborted()`.
      guardWasmHeap(context.tf.backend());
      const native = await loadNative(kernelOverrides && nativeBlas, blasThreads);
      const { patches, kernels } = registerWasmKernels(context.tf, {
        overrides: kernelOverrides,
        backend: context.tf.backend(),
        version: wasm.version_wasm,
        native,
      });
      const simd = (await context.tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
      return {
        tfBackend: 'wasm',
        device: 'cpu',
        threads: wasm.getThreadsCount(),
        simd,
        patches,
        kernels,
        ...(native && patches.some((p) => p.includes('openblas'))
          ? { blasThreads: native.threads() }
          : {}),
      };
    },
  };
}
