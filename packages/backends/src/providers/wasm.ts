import { registerWasmPatches } from '../kernels/wasm/register.js';
import { switchTo } from './activate.js';
import type { BackendProvider } from './provider.js';

/** WebAssembly kernels (XNNPACK), with SIMD; multi-threaded only in cross-origin-isolated browsers. */
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
    const patches = registerWasmPatches(context.tf);
    const simd = (await context.tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    return { tfBackend: 'wasm', device: 'cpu', threads: wasm.getThreadsCount(), simd, patches };
  },
};
