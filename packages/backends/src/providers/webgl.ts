import { switchTo } from './activate.js';
import type { BackendProvider } from './provider.js';

/** WebGL 2 shaders, in browsers. */
export const webglProvider: BackendProvider = {
  name: 'webgl',
  runsIn: 'browser',
  async activate(context) {
    await import('@tensorflow/tfjs-backend-webgl');
    await switchTo(
      context,
      'webgl',
      'webgl',
      'enable hardware acceleration in the browser, or pick wasm.',
    );
    return { tfBackend: 'webgl', device: 'gpu', threads: 0, simd: false, patches: [] };
  },
};
