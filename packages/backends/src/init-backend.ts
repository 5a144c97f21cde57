import * as tf from '@tensorflow/tfjs-core';
import { importNodeOnly, isNode } from './environment.js';
import { BackendUnavailableError } from './errors/backend-unavailable-error.js';
import { registerTfjsGradients } from './gradients/register.js';
import { claimKernels } from './kernels/contracts/dispatch.js';
import type { BackendProvider } from './provider.js';
import {
  BACKEND_NAMES,
  type BackendAttempt,
  type BackendInfo,
  type BackendName,
  type BackendRequest,
  RESERVED_BACKEND_NAMES,
} from './types.js';

/** Options for {@link initBackend}. */
export interface InitBackendOptions {
  /**
   * Providers to use instead of the default ones of their names, each
   * configured by its factory: with `[createWasmBackend({ wasmPaths })]`,
   * `'wasm'` and `'auto'` use those options. Default: none (every backend
   * with its factory's defaults).
   */
  providers?: readonly BackendProvider[];
  /**
   * Let tfjs print its own console messages: the "Hi, looks like you are
   * running TensorFlow.js in Node.js" banner, notices about re-registered
   * kernels and platforms, the details of a failed backend initialisation.
   * Default: false: `initBackend` switches on tfjs's production mode
   * (`tf.enableProdMode()`, which in tfjs 4.22 gates only these messages);
   * its own errors say what failed. With true, tfjs's flag is left as it is.
   */
  tfjsLogs?: boolean;
}

/** The order `'auto'` tries, fastest first. */
export const AUTO_ORDER: Readonly<Record<'node' | 'browser', readonly BackendName[]>> = {
  node: ['node-gpu', 'node', 'native', 'wasm', 'cpu'],
  browser: ['webgpu', 'webgl', 'wasm', 'cpu'],
};

/** Where each backend can run, known before its provider module is loaded. */
const RUNS_IN: Readonly<Record<BackendName, BackendProvider['runsIn']>> = {
  'node-gpu': 'node',
  node: 'node',
  native: 'node',
  wasm: 'both',
  cpu: 'both',
  webgpu: 'both',
  webgl: 'browser',
};

/**
 * Each backend's provider with its defaults, from its subpath module, loaded
 * only when that backend is tried. A new backend is one more line here.
 */
const DEFAULT_PROVIDERS: Partial<Record<BackendName, () => Promise<BackendProvider>>> = {
  // Node-only providers stay out of web bundles.
  'node-gpu': async () =>
    (
      await importNodeOnly<typeof import('./providers/node-gpu.js')>(
        './providers/node-gpu.js',
        import.meta.url,
      )
    ).createNodeGpuBackend(),
  node: async () =>
    (
      await importNodeOnly<typeof import('./providers/node.js')>(
        './providers/node.js',
        import.meta.url,
      )
    ).createNodeBackend(),
  native: async () =>
    (
      await importNodeOnly<typeof import('./providers/native.js')>(
        './providers/native.js',
        import.meta.url,
      )
    ).createNativeBackend(),
  wasm: async () => (await import('./providers/wasm.js')).createWasmBackend(),
  cpu: async () => (await import('./providers/cpu.js')).createCpuBackend(),
  webgpu: async () => (await import('./providers/webgpu.js')).createWebgpuBackend(),
  webgl: async () => (await import('./providers/webgl.js')).createWebglBackend(),
};

function parseRequest(value: string): BackendRequest {
  const known: readonly string[] = [...BACKEND_NAMES, ...RESERVED_BACKEND_NAMES];
  if (value === 'auto' || known.includes(value)) {
    return value as BackendRequest;
  }
  throw new RangeError(`Unknown backend '${value}'. Valid: auto, ${BACKEND_NAMES.join(', ')}.`);
}

/** The provider for `name`: the caller's, or the default one. */
async function providerFor(
  name: BackendName,
  overrides: readonly BackendProvider[],
  environment: 'node' | 'browser',
): Promise<BackendProvider> {
  const given = overrides.find((provider) => provider.name === name);
  if (given) return given;
  const runsIn = RUNS_IN[name];
  if (runsIn !== 'both' && runsIn !== environment) throw notHere(name, runsIn, environment);
  const load = DEFAULT_PROVIDERS[name];
  if (!load) {
    throw new BackendUnavailableError({
      backend: name,
      reason: 'missing',
      message: `The '${name}' backend is not part of this version of @gpt2/backends.`,
      hint: `update @gpt2/backends, or pick one of: ${AUTO_ORDER[environment].filter((n) => DEFAULT_PROVIDERS[n]).join(', ')}.`,
    });
  }
  return load();
}

function notHere(
  name: string,
  runsIn: BackendProvider['runsIn'],
  environment: 'node' | 'browser',
): BackendUnavailableError {
  return new BackendUnavailableError({
    backend: name,
    reason: 'unsupported',
    message: `The '${name}' backend runs only in ${runsIn === 'node' ? 'Node.js' : 'browsers'}.`,
    hint: `pick one of: ${AUTO_ORDER[environment].filter((n) => DEFAULT_PROVIDERS[n]).join(', ')}.`,
  });
}

/**
 * Load, activate and verify a tfjs backend, register tfjs's gradients, and
 * return what runs and why.
 *
 * - A name (`'wasm'`, `'webgpu'`, …) activates that backend with its
 *   factory's defaults (or the provider of that name in `options.providers`).
 * - A provider (`createWasmBackend({ wasmPaths })`) activates that one.
 * - A list of providers tries them in order and takes the first that works.
 * - `'auto'` (the default) tries the fastest available, in
 *   {@link AUTO_ORDER}: in Node tfjs-node-gpu with working CUDA, tfjs-node,
 *   wasm, cpu; in a browser WebGPU (hardware adapters only), WebGL, wasm,
 *   cpu. Backends whose packages are not installed are skipped.
 *
 * @throws BackendUnavailableError when the backend (or, for several, every
 *   one) cannot be used; the message says why and how to fix it.
 * @throws RangeError for an unknown backend name.
 */
export async function initBackend(
  request: BackendRequest | BackendProvider | readonly BackendProvider[] = 'auto',
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  if (options.tfjsLogs !== true) tf.enableProdMode();
  const wanted: BackendRequest | BackendProvider | readonly BackendProvider[] =
    typeof request === 'string' ? parseRequest(request) : request;
  registerTfjsGradients();
  const environment = isNode() ? 'node' : 'browser';
  const overrides = options.providers ?? [];
  const several = wanted === 'auto' || Array.isArray(wanted);
  const candidates: Array<BackendName | BackendProvider> =
    wanted === 'auto'
      ? AUTO_ORDER[environment].filter(
          (name) => DEFAULT_PROVIDERS[name] !== undefined || overrides.some((p) => p.name === name),
        )
      : Array.isArray(wanted)
        ? [...wanted]
        : [wanted as BackendName | BackendProvider];
  const attempts: BackendAttempt[] = [];
  for (const candidate of candidates) {
    const name = typeof candidate === 'string' ? candidate : candidate.name;
    try {
      const provider =
        typeof candidate === 'string'
          ? await providerFor(candidate, overrides, environment)
          : candidate;
      if (provider.runsIn !== 'both' && provider.runsIn !== environment) {
        throw notHere(name, provider.runsIn, environment);
      }
      const activated = await provider.activate({ tf, auto: several });
      claimKernels(activated.tfBackend, activated.kernels);
      attempts.push({ backend: name, ok: true, reason: 'selected' });
      const skipped = attempts.filter((a) => !a.ok).map((a) => a.backend);
      const why = wanted === 'auto' ? ['auto'] : [];
      if (skipped.length > 0) why.push(`skipped ${skipped.join(', ')}`);
      const reason = !several
        ? 'requested'
        : `${wanted === 'auto' ? 'fastest available' : 'first available'}${why.length > 0 ? ` (${why.join('; ')})` : ''}`;
      return { name, ...activated, reason, attempts };
    } catch (error) {
      if (!several) throw error;
      attempts.push({
        backend: name,
        ok: false,
        reason: (error as Error).message.split('\n')[0] ?? '',
      });
    }
  }
  throw new BackendUnavailableError({
    backend: wanted === 'auto' ? 'auto' : 'providers',
    reason: 'unsupported',
    message: `No backend could be activated:\n${attempts.map((a) => `  ${a.backend}: ${a.reason}`).join('\n')}`,
    hint: 'install one of the tfjs backend packages, e.g. `pnpm add @tensorflow/tfjs-backend-wasm@4.22.0`.',
  });
}

/** One line for logs: `wasm (cpu, 1 thread, SIMD) — fastest available (auto; skipped node-gpu, node)`. */
export function describeBackend(info: BackendInfo): string {
  const parts: string[] = [info.device];
  if (info.threads > 0) parts.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`);
  if (info.simd) parts.push('SIMD');
  if (info.adapter) parts.push(info.adapter.description || info.adapter.vendor || 'adapter');
  if (info.blasThreads)
    parts.push(`OpenBLAS ${info.blasThreads} thread${info.blasThreads === 1 ? '' : 's'}`);
  if (info.blas) parts.push(info.blas);
  if (info.patches.length > 0) parts.push(`patched: ${info.patches.join(', ')}`);
  return `${info.name} (${parts.join(', ')}) — ${info.reason}`;
}
