import {
  loadNativeBlas,
  NATIVE_BLAS_HINT,
  type NativeBlas,
} from '../kernels/native/native-blas.js';
import { registerWasmKernels } from '../kernels/wasm/register.js';
import { switchTo } from './activate.js';
import type { BackendProvider, ProviderContext } from './provider.js';

let hinted = false;

/** The native BLAS addon when wanted and loadable; otherwise one line on how to get it. */
async function nativeBlas(context: ProviderContext): Promise<NativeBlas | undefined> {
  if (!context.kernelOverrides || !context.nativeBlas) return undefined;
  const blas = await loadNativeBlas();
  if (typeof blas === 'string') {
    if (!hinted && blas !== 'not in Node.js') {
      hinted = true;
      console.info(
        `@gpt2/backends: native BLAS kernel unavailable (${blas}); ${NATIVE_BLAS_HINT}.`,
      );
    }
    return undefined;
  }
  if (context.blasThreads !== undefined) blas.setThreads(context.blasThreads);
  return blas;
}

/**
 * WebAssembly kernels (XNNPACK), with SIMD; multi-threaded only in
 * cross-origin-isolated browsers. In Node, matMuls and row sums go to
 * OpenBLAS through the native addon when it is built.
 */
export const wasmProvider: BackendProvider = {
  name: 'wasm',
  runsIn: 'both',
  async activate(context) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    await switchTo(
      context,
      'wasm',
      'wasm',
      'in a browser, serve the .wasm files beside your bundle or call setWasmPaths() from @tensorflow/tfjs-backend-wasm.',
    );
    const native = await nativeBlas(context);
    const patches = registerWasmKernels(context.tf, {
      overrides: context.kernelOverrides,
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
      ...(native && patches.some((p) => p.includes('openblas'))
        ? { blasThreads: native.threads() }
        : {}),
    };
  },
};
