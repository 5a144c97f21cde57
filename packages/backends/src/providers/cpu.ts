import { registerCpuKernels } from '../kernels/cpu/register.js';
import { switchTo } from './activate.js';
import type { BackendProvider } from './provider.js';

/** Plain JavaScript kernels: slow (about 1 GFLOP/s) but available everywhere. */
export const cpuProvider: BackendProvider = {
  name: 'cpu',
  runsIn: 'both',
  async activate(context) {
    await import('@tensorflow/tfjs-backend-cpu');
    await switchTo(
      context,
      'cpu',
      'cpu',
      'reinstall @gpt2/backends; @tensorflow/tfjs-backend-cpu ships with it.',
    );
    const patches = registerCpuKernels(context.tf);
    return { tfBackend: 'cpu', device: 'cpu', threads: 1, simd: false, patches };
  },
};
