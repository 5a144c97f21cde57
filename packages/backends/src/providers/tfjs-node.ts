import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import type { ImportModule } from '../provider.js';
import { firstLine, isModuleNotFound } from './activate.js';

/** Options for {@link createNodeBackend} and {@link createNodeGpuBackend}. */
export interface NodeBackendOptions {
  /**
   * Loads `@tensorflow/tfjs-node` / `-node-gpu` by name. Default: `import()`;
   * tests and custom bundles replace it.
   */
  importModule?: ImportModule;
}

/** Native `import()` that bundlers leave alone: tfjs-node never belongs in a web bundle. */
export const defaultImport: ImportModule = (specifier) =>
  import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);

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
      message: `${specifier} is installed but cannot load the CUDA libraries it was built for: ${firstLine(error)}`,
      hint: 'tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.1 (CUDA 12 is not supported); install them and add their lib folders to LD_LIBRARY_PATH, or use --backend node / wasm.',
      cause: error,
    });
  }
  if (/tfjs_binding\.node|libtensorflow/.test(text)) {
    return new BackendUnavailableError({
      backend,
      reason: 'broken',
      message: `${specifier} is installed but its native part is missing (libtensorflow was not downloaded during install): ${firstLine(error)}`,
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
    message: `${specifier} is installed but failed to load: ${firstLine(error)}`,
    hint: `reinstall ${specifier}@4.22.0, or use --backend wasm.`,
    cause: error,
  });
}

/** Import tfjs-node(-gpu), explaining a failure. */
export async function importTfjsNode(
  importModule: ImportModule,
  backend: 'node' | 'node-gpu',
  specifier: string,
): Promise<void> {
  try {
    await importModule(specifier);
  } catch (error) {
    throw explainNodeImportFailure(backend, specifier, error);
  }
}
