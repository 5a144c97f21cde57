import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import { isModuleNotFound, switchTo } from './activate.js';
import type { BackendProvider, ProviderContext } from './provider.js';

const NODE_PACKAGE = '@tensorflow/tfjs-node';
const NODE_GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

/**
 * Turn a failed `import()` of tfjs-node(-gpu) into an error that says what is
 * wrong and how to fix it. The usual failures are known: the package is absent
 * (it is an optional peer), its install script could not download
 * libtensorflow, or the CUDA/cuDNN libraries are not the ones it was built for.
 */
export function explainNodeImportFailure(
  backend: 'node' | 'node-gpu',
  specifier: string,
  error: unknown,
): BackendUnavailableError {
  const text = String((error as Error)?.message ?? error);
  if (/libcudart|libcudnn|libcublas|libcufft|libcurand|libcusolver|libcusparse/.test(text)) {
    return new BackendUnavailableError({
      backend,
      reason: 'broken',
      message: `${specifier} is installed but cannot load the CUDA libraries it was built for: ${firstLine(text)}`,
      hint: 'tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.1 (CUDA 12 is not supported); install them and add their lib folders to LD_LIBRARY_PATH, or use --backend node / wasm.',
      cause: error,
    });
  }
  if (/tfjs_binding\.node|libtensorflow/.test(text)) {
    return new BackendUnavailableError({
      backend,
      reason: 'broken',
      message: `${specifier} is installed but its native part is missing (libtensorflow was not downloaded during install): ${firstLine(text)}`,
      hint: `run \`npm rebuild ${specifier}\` with network access to storage.googleapis.com, or remove the package and use --backend wasm.`,
      cause: error,
    });
  }
  if (isModuleNotFound(error, specifier)) {
    return new BackendUnavailableError({
      backend,
      reason: 'missing',
      message: `The '${backend}' backend needs ${specifier}, which is not installed (it is an optional peer dependency).`,
      hint: `run \`pnpm add ${specifier}@4.22.0\` (or npm install) on a machine that can reach storage.googleapis.com: its install script downloads libtensorflow. Until then use --backend wasm.`,
      cause: error,
    });
  }
  return new BackendUnavailableError({
    backend,
    reason: 'broken',
    message: `${specifier} is installed but failed to load: ${firstLine(text)}`,
    hint: `reinstall ${specifier}@4.22.0, or use --backend wasm.`,
    cause: error,
  });
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

async function importNative(
  context: ProviderContext,
  backend: 'node' | 'node-gpu',
  specifier: string,
): Promise<void> {
  try {
    await context.importModule(specifier);
  } catch (error) {
    throw explainNodeImportFailure(backend, specifier, error);
  }
}

/** libtensorflow on the CPU, through `@tensorflow/tfjs-node` (optional). */
export const nodeProvider: BackendProvider = {
  name: 'node',
  runsIn: 'node',
  async activate(context) {
    await importNative(context, 'node', NODE_PACKAGE);
    await switchTo(context, 'node', 'tensorflow', `reinstall ${NODE_PACKAGE}@4.22.0.`);
    return { tfBackend: 'tensorflow', device: 'cpu', threads: 0, simd: true, patches: [] };
  },
};

/** libtensorflow with CUDA, through `@tensorflow/tfjs-node-gpu` (optional). */
export const nodeGpuProvider: BackendProvider = {
  name: 'node-gpu',
  runsIn: 'node',
  async activate(context) {
    await importNative(context, 'node-gpu', NODE_GPU_PACKAGE);
    await switchTo(context, 'node-gpu', 'tensorflow', `reinstall ${NODE_GPU_PACKAGE}@4.22.0.`);
    const backend = context.tf.backend() as { isUsingGpuDevice?: boolean };
    if (backend.isUsingGpuDevice !== true) {
      throw new BackendUnavailableError({
        backend: 'node-gpu',
        reason: 'broken',
        message: `${NODE_GPU_PACKAGE} loaded, but libtensorflow found no usable CUDA device.`,
        hint: 'check `nvidia-smi`, and that CUDA 11.2 and cuDNN 8.1 are on LD_LIBRARY_PATH; or use --backend node.',
      });
    }
    return { tfBackend: 'tensorflow', device: 'gpu', threads: 0, simd: false, patches: [] };
  },
};
