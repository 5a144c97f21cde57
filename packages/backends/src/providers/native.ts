import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import { loadNativeBlas } from '../kernels/native/native-blas.js';
import { type NativeKernels, REQUIRED_KERNELS } from '../kernels/native/native-kernels.js';
import { switchTo } from './activate.js';
import type { BackendProvider } from './provider.js';

/** How to build the addon, in one line. */
export const NATIVE_BUILD_HINT =
  'install a C compiler and OpenBLAS (Debian: apt-get install build-essential libopenblas0-pthread; macOS: brew install openblas), then build the addon: `pnpm rebuild @gpt2/backends` (in this repository: `pnpm --filter @gpt2/backends build:native`)';

/** The rebuild command alone. */
const REBUILD =
  '`pnpm rebuild @gpt2/backends` (in this repository: `pnpm --filter @gpt2/backends build:native`)';

let hintedOld = false;

/** Threads when none are asked for: every core the process may use. */
async function defaultThreads(): Promise<number> {
  const specifier = 'node:os';
  const os = (await import(/* @vite-ignore */ specifier)) as {
    availableParallelism?: () => number;
    cpus(): unknown[];
  };
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/**
 * Node only: tensors are TypedArrays in Node memory (no 4 GB ceiling), the
 * hot kernels run in the native addon (OpenBLAS sgemm, vectorised and
 * threaded element-wise, reduction, softmax, layout and AdamW kernels).
 * Needs the addon built and OpenBLAS installed; `blasThreads` sets its
 * threads (default: every core).
 */
export const nativeProvider: BackendProvider = {
  name: 'native',
  runsIn: 'node',
  async activate(context) {
    if (!context.nativeBlas) {
      throw new BackendUnavailableError({
        backend: 'native',
        reason: 'unsupported',
        message: 'The native addon is switched off (nativeBlas: false, or GPT2_NATIVE_BLAS=0).',
        hint: 'leave nativeBlas on (unset GPT2_NATIVE_BLAS) to use the native backend.',
      });
    }
    const addon = await loadNativeBlas();
    if (typeof addon === 'string') {
      throw new BackendUnavailableError({
        backend: 'native',
        reason: addon === 'the addon is not built' ? 'missing' : 'broken',
        message: `The native backend needs the @gpt2/backends addon: ${addon}.`,
        hint: NATIVE_BUILD_HINT,
      });
    }
    const lacking = REQUIRED_KERNELS.filter((name) => typeof addon[name] !== 'function');
    if (lacking.length > 0) {
      // 'auto' moves on to wasm, which still uses the old addon: say once why native was passed over.
      if (!hintedOld) {
        hintedOld = true;
        console.info(
          `@gpt2/backends: the native addon is out of date (no native backend); rebuild it: ${REBUILD}.`,
        );
      }
      throw new BackendUnavailableError({
        backend: 'native',
        reason: 'broken',
        message: `The @gpt2/backends addon was built by an older version (it lacks ${lacking.join(', ')}).`,
        hint: `rebuild it: ${REBUILD}.`,
      });
    }
    const kernels = addon as typeof addon & NativeKernels;
    await import('@tensorflow/tfjs-backend-cpu'); // registers the cpu kernels the native backend reuses
    const { NativeBackend } = await import('../kernels/native/backend.js');
    const { NATIVE_BACKEND, registerNativeKernels } = await import('../kernels/native/register.js');
    const native = registerNativeKernels();
    const { tf } = context;
    if (!tf.findBackendFactory(NATIVE_BACKEND)) {
      tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(kernels), 0);
    }
    const threads = context.blasThreads ?? (await defaultThreads());
    if (kernels.poolThreads() !== threads) kernels.setPoolThreads(threads);
    await switchTo(context, 'native', NATIVE_BACKEND, `rebuild the addon: ${NATIVE_BUILD_HINT}.`);
    const blas = addon.describe();
    return {
      tfBackend: NATIVE_BACKEND,
      device: 'cpu',
      threads: kernels.poolThreads(),
      simd: true,
      patches: [],
      nativeKernels: native,
      ...(blas
        ? {
            blas: `${blas.config.split(' ').slice(0, 2).join(' ')}${blas.core ? ` ${blas.core}` : ''}`,
          }
        : {}),
    };
  },
};
