/**
 * `@gpt2/backends/native`: the Node native-memory CPU backend (tfjs backend
 * `'native'`). Tensors are TypedArrays in Node memory, as tfjs-backend-cpu
 * keeps them (no 4 GB ceiling); the hot kernels run in this package's native
 * addon: sgemm (OpenBLAS, or the addon's built-in one), vectorised and threaded element-wise, reduction,
 * softmax and layout kernels, and the kernel contracts (AdamW, GELU,
 * LayerNorm, causal attention, softmax cross-entropy).
 */
import { totalmem } from 'node:os';
import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import type { NativeAddon, NativeBlasChoice } from '../kernels/native/native-blas.js';
import type { NativeKernels } from '../kernels/native/native-kernels.js';
import type { BackendProvider } from '../provider.js';
import { importBackendPackage, switchTo } from './activate.js';

const PACKAGE = '@tensorflow/tfjs-backend-cpu';

/** How to build the addon, in one line. */
export const NATIVE_BUILD_HINT =
  'install a C compiler (Debian: apt-get install build-essential; macOS: xcode-select --install), then build the addon: `pnpm rebuild @gpt2/backends` (in this repository: `pnpm --filter @gpt2/backends build:native`); OpenBLAS is optional and faster (Debian: apt-get install libopenblas0-pthread; macOS: brew install openblas)';

/** How to get OpenBLAS, in one line. */
const OPENBLAS_HINT =
  'install OpenBLAS (Debian: apt-get install libopenblas0-pthread; macOS: brew install openblas); the addon finds it when it loads, no rebuild needed';

/** The rebuild command alone. */
const REBUILD =
  '`pnpm rebuild @gpt2/backends` (in this repository: `pnpm --filter @gpt2/backends build:native`)';

/** Options for {@link createNativeBackend}. */
export interface NativeBackendOptions {
  /**
   * Kernel threads, the calling thread included; matrix products run
   * single-threaded sgemm calls on them, so OpenBLAS's own threads never
   * compete with them. Default: every core the process may use.
   */
  threads?: number;
  /**
   * The sgemm matrix products run on: `'openblas'` (throws a
   * `BackendUnavailableError` saying how to install it when it is missing),
   * `'builtin'` (the addon's own packed sgemm: needs only the C compiler that
   * built the addon; about 0.9× OpenBLAS on large products on AVX2, as fast
   * on the small ones), or `'auto'`: OpenBLAS when installed, else the
   * built-in one (and one line on stderr saying OpenBLAS is faster). The
   * choice is the process's: the last native backend activated sets it.
   * Default: {@link DEFAULT_NATIVE_BACKEND_OPTIONS}.blas (`'auto'`).
   */
  blas?: NativeBlasChoice;
  /**
   * Bytes of free tensor storage kept for reuse: a training step allocates the
   * same sizes every step, and fresh memory costs a page fault per 4 KiB. Past
   * it, released storage is freed at once. Default:
   * {@link DEFAULT_NATIVE_BACKEND_OPTIONS}.cacheBytes (a quarter of the
   * machine's memory, up to 8 GiB).
   */
  cacheBytes?: number;
  /**
   * Bytes of weights moved onto 2 MiB pages (Linux transparent huge pages),
   * the first time a decode step streams them: each later token reads them
   * 7–15% faster (fewer TLB misses, no prefetch stop every 4 KiB). Moving costs
   * about 1 ms per MB once (0.35–2 s for gpt2-124M's 0.4 GB measured on a busy
   * 2-core machine), so the default covers gpt2-124M (0.47 GiB streamed per
   * token) and bounds the cost for a larger model, which gets huge pages for
   * its first weights only; 0 turns it off.
   * Default: {@link DEFAULT_NATIVE_BACKEND_OPTIONS}.hugePageBytes (512 MiB).
   */
  hugePageBytes?: number;
}

/** Defaults of {@link NativeBackendOptions}. */
export const DEFAULT_NATIVE_BACKEND_OPTIONS = {
  cacheBytes: Math.min(totalmem() / 4, 8 * 1024 ** 3),
  hugePageBytes: 512 * 1024 ** 2,
  blas: 'auto',
} as const satisfies NativeBackendOptions;

const BLAS_CHOICES: readonly NativeBlasChoice[] = ['auto', 'openblas', 'builtin'];

let hintedOld = false;
let hintedBuiltin = false;

/** Threads when none are asked for: every core the process may use. */
async function defaultThreads(): Promise<number> {
  const os = await import('node:os');
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/**
 * The native backend. Needs the package's addon built (a C compiler, at
 * install); without it, it throws a `BackendUnavailableError` whose hint says
 * how to build the addon (and `'auto'` moves on to wasm). Matrix products run
 * on OpenBLAS when it is installed, otherwise on the addon's built-in sgemm
 * (see {@link NativeBackendOptions.blas}).
 *
 * ```ts
 * import { initBackend } from '@gpt2/backends';
 * import { createNativeBackend } from '@gpt2/backends/native';
 * await initBackend(createNativeBackend({ threads: 2 }));
 * ```
 *
 * @throws RangeError for a `threads` that is not a positive integer, or a
 * `blas` that is not `'auto'`, `'openblas'` or `'builtin'`.
 */
export function createNativeBackend(options: NativeBackendOptions = {}): BackendProvider {
  const { threads } = options;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new RangeError(`threads must be an integer in [1, 64], got ${threads}.`);
  }
  const blasChoice = options.blas ?? DEFAULT_NATIVE_BACKEND_OPTIONS.blas;
  if (!BLAS_CHOICES.includes(blasChoice)) {
    throw new RangeError(
      `blas must be one of ${BLAS_CHOICES.join(', ')}, got ${String(blasChoice)}.`,
    );
  }
  const cacheBytes = options.cacheBytes ?? DEFAULT_NATIVE_BACKEND_OPTIONS.cacheBytes;
  const hugePageBytes = options.hugePageBytes ?? DEFAULT_NATIVE_BACKEND_OPTIONS.hugePageBytes;
  if (!(hugePageBytes >= 0)) {
    throw new RangeError(`hugePageBytes must be a number ≥ 0, got ${hugePageBytes}.`);
  }
  return {
    name: 'native',
    runsIn: 'node',
    async activate(context) {
      const { loadNativeBlas } = await import('../kernels/native/native-blas.js');
      const { REQUIRED_KERNELS } = await import('../kernels/native/native-kernels.js');
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
          console.warn(
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
      const inEffect = chooseBlas(addon, blasChoice);
      // Registers the cpu kernels the native backend reuses.
      await importBackendPackage('native', PACKAGE, () => import('@tensorflow/tfjs-backend-cpu'));
      const { NativeBackend } = await import('../kernels/native/backend.js');
      const { NATIVE_BACKEND, NATIVE_CONTRACT_KERNELS, registerNativeKernels } = await import(
        '../kernels/native/register.js'
      );
      const natives = registerNativeKernels();
      const { tf } = context;
      if (!tf.findBackendFactory(NATIVE_BACKEND)) {
        tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(kernels), 0);
      }
      const wanted = threads ?? (await defaultThreads());
      if (kernels.poolThreads() !== wanted) kernels.setPoolThreads(wanted);
      await switchTo(context, 'native', NATIVE_BACKEND, `rebuild the addon: ${NATIVE_BUILD_HINT}.`);
      const backend = tf.backend() as InstanceType<typeof NativeBackend>;
      backend.cacheLimitBytes = cacheBytes;
      backend.hugePageBytes = hugePageBytes;
      const blas = addon.describe();
      if (inEffect === 'builtin' && blasChoice === 'auto' && !hintedBuiltin) {
        hintedBuiltin = true;
        console.warn(
          `@gpt2/backends: the native backend multiplies with its built-in sgemm (OpenBLAS not found); OpenBLAS is faster on large models: ${OPENBLAS_HINT}.`,
        );
      }
      return {
        tfBackend: NATIVE_BACKEND,
        device: 'cpu',
        threads: kernels.poolThreads(),
        simd: true,
        patches: [`${natives.length} native kernels`],
        kernels: [...NATIVE_CONTRACT_KERNELS],
        ...(blas
          ? {
              blas:
                blas.library === 'builtin'
                  ? blas.config
                  : `${blas.config.split(' ').slice(0, 2).join(' ')}${blas.core ? ` ${blas.core}` : ''}`,
            }
          : {}),
      };
    },
  };
}

/** Points the addon's kernels at the sgemm asked for; returns the one in effect. */
function chooseBlas(addon: NativeAddon, choice: NativeBlasChoice): 'openblas' | 'builtin' {
  if (typeof addon.useBlas !== 'function') {
    // Built before the built-in sgemm: loadNativeBlas let it through, so it found OpenBLAS.
    if (choice === 'builtin') {
      throw new BackendUnavailableError({
        backend: 'native',
        reason: 'broken',
        message: 'The @gpt2/backends addon was built before the built-in sgemm.',
        hint: `rebuild it: ${REBUILD}.`,
      });
    }
    return 'openblas';
  }
  if (choice === 'openblas') {
    const openblas = addon.openblas?.() ?? null;
    if (openblas === null) {
      throw new BackendUnavailableError({
        backend: 'native',
        reason: 'missing',
        message:
          "The native backend was asked for OpenBLAS (blas: 'openblas'), which was not found.",
        hint: `${OPENBLAS_HINT}; or leave blas at 'auto' for the built-in sgemm.`,
      });
    }
  }
  return addon.useBlas(choice);
}
