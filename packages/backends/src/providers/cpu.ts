/**
 * `@gpt2/backends/cpu`: tfjs's plain JavaScript kernels
 * (`@tensorflow/tfjs-backend-cpu`, an optional peer dependency).
 */
import { registerCpuKernels } from '../kernels/cpu/register.js';
import type { BackendProvider } from '../provider.js';
import { importBackendPackage, switchTo } from './activate.js';

const PACKAGE = '@tensorflow/tfjs-backend-cpu';

/**
 * Plain JavaScript kernels: slow (about 1 GFLOP/s) but they run everywhere,
 * and tensors live in ordinary memory (no 4 GB heap).
 *
 * ```ts
 * import { initBackend } from '@gpt2/backends';
 * import { createCpuBackend } from '@gpt2/backends/cpu';
 * await initBackend(createCpuBackend());
 * ```
 */
export function createCpuBackend(): BackendProvider {
  return {
    name: 'cpu',
    runsIn: 'both',
    async activate(context) {
      await importBackendPackage('cpu', PACKAGE, () => import('@tensorflow/tfjs-backend-cpu'));
      await switchTo(context, 'cpu', 'cpu', `reinstall ${PACKAGE}@4.22.0.`);
      const patches = registerCpuKernels(context.tf);
      return { tfBackend: 'cpu', device: 'cpu', threads: 1, simd: false, patches, kernels: [] };
    },
  };
}
