/**
 * `@gpt2/backends/node`: libtensorflow on the CPU through
 * `@tensorflow/tfjs-node` (an optional peer dependency; its install downloads
 * libtensorflow).
 */
import type { BackendProvider } from '../provider.js';
import { switchTo } from './activate.js';
import { defaultImport, importTfjsNode, type NodeBackendOptions } from './tfjs-node.js';

export { explainNodeImportFailure, type NodeBackendOptions } from './tfjs-node.js';

const PACKAGE = '@tensorflow/tfjs-node';

/** libtensorflow on the CPU, through `@tensorflow/tfjs-node`. Node only. */
export function createNodeBackend(options: NodeBackendOptions = {}): BackendProvider {
  return {
    name: 'node',
    runsIn: 'node',
    async activate(context) {
      await importTfjsNode(options.importModule ?? defaultImport, 'node', PACKAGE);
      await switchTo(context, 'node', 'tensorflow', `reinstall ${PACKAGE}@4.22.0.`);
      return {
        tfBackend: 'tensorflow',
        device: 'cpu',
        threads: 0,
        simd: true,
        patches: [],
        kernels: [],
      };
    },
  };
}
