/**
 * `@gpt2/backends/webgl`: WebGL 2 shaders in browsers
 * (`@tensorflow/tfjs-backend-webgl`, an optional peer dependency).
 */
import type { BackendProvider } from '../provider.js';
import { importBackendPackage, switchTo } from './activate.js';

const PACKAGE = '@tensorflow/tfjs-backend-webgl';

/** WebGL 2 shaders, in browsers. */
export function createWebglBackend(): BackendProvider {
  return {
    name: 'webgl',
    runsIn: 'browser',
    async activate(context) {
      await importBackendPackage('webgl', PACKAGE, () => import('@tensorflow/tfjs-backend-webgl'));
      await switchTo(
        context,
        'webgl',
        'webgl',
        'enable hardware acceleration in the browser, or pick wasm.',
      );
      return {
        tfBackend: 'webgl',
        device: 'gpu',
        threads: 0,
        simd: false,
        patches: [],
        kernels: [],
      };
    },
  };
}
