/**
 * The tfjs wasm binaries, emitted by Vite beside the bundle (fingerprinted),
 * so the wasm backend works from any static host and path.
 */
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** File name → absolute URL, the form `createWasmBackend({ wasmPaths })` takes. */
export function wasmPaths(base: string = document.baseURI): Record<string, string> {
  return {
    'tfjs-backend-wasm.wasm': new URL(wasmUrl, base).href,
    'tfjs-backend-wasm-simd.wasm': new URL(wasmSimdUrl, base).href,
    'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreadedSimdUrl, base).href,
  };
}
