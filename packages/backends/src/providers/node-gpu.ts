/**
 * `@gpt2/backends/node-gpu`: libtensorflow with CUDA through
 * `@tensorflow/tfjs-node-gpu` (an optional peer dependency; it needs CUDA 11.2
 * and cuDNN 8.1).
 */
import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import type { BackendProvider } from '../provider.js';
import { switchTo } from './activate.js';
import { defaultImport, importTfjsNode, type NodeBackendOptions } from './tfjs-node.js';

export type { NodeBackendOptions } from './tfjs-node.js';

const PACKAGE = '@tensorflow/tfjs-node-gpu';

/** libtensorflow with CUDA, through `@tensorflow/tfjs-node-gpu`. Node only. */
export function createNodeGpuBackend(options: NodeBackendOptions = {}): BackendProvider {
  return {
    name: 'node-gpu',
    runsIn: 'node',
    async activate(context) {
      await importTfjsNode(options.importModule ?? defaultImport, 'node-gpu', PACKAGE);
      await switchTo(context, 'node-gpu', 'tensorflow', `reinstall ${PACKAGE}@4.22.0.`);
      const backend = context.tf.backend() as { isUsingGpuDevice?: boolean };
      if (backend.isUsingGpuDevice !== true) {
        throw new BackendUnavailableError({
          backend: 'node-gpu',
          reason: 'broken',
          message: `${PACKAGE} loaded, but libtensorflow found no usable CUDA device.`,
          hint: 'check `nvidia-smi`, and that CUDA 11.2 and cuDNN 8.1 are on LD_LIBRARY_PATH; or use --backend node.',
        });
      }
      return {
        tfBackend: 'tensorflow',
        device: 'gpu',
        threads: 0,
        simd: false,
        patches: [],
        kernels: [],
      };
    },
  };
}
