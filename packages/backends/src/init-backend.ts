import * as tf from '@tensorflow/tfjs-core';
import { isNode } from './environment.js';
import { BackendUnavailableError } from './errors/backend-unavailable-error.js';
import { cpuProvider } from './providers/cpu.js';
import { nodeGpuProvider, nodeProvider } from './providers/node.js';
import type { BackendProvider, ImportModule } from './providers/provider.js';
import { wasmProvider } from './providers/wasm.js';
import { webglProvider } from './providers/webgl.js';
import { webgpuProvider } from './providers/webgpu.js';
import {
  BACKEND_NAMES,
  type BackendAttempt,
  type BackendInfo,
  type BackendName,
  type BackendRequest,
} from './types.js';
import {
  DEFAULT_WEBGPU_LIMITS,
  describeLimits,
  type WebGpuLimitsRequest,
} from './webgpu/device.js';

/** Options for {@link initBackend}. */
export interface InitBackendOptions {
  /**
   * Allow a software WebGPU adapter (SwiftShader). Default: true when
   * `'webgpu'` is asked for by name, false for `'auto'`, where a CPU-emulated
   * GPU is slower than wasm and must never win.
   */
  allowSoftwareAdapter?: boolean;
  /**
   * WebGPU device limits: `'adapter'` requests what the adapter offers for
   * storage buffers per shader, binding and buffer sizes and workgroups
   * (needed for GPT-2 124M, whose `wte` is 154 MB); `'default'` keeps WebGPU's
   * defaults (8 storage buffers, 128 MiB per binding), to reproduce a small
   * device. Default: {@link DEFAULT_WEBGPU_LIMITS} (`'adapter'`).
   */
  webgpuLimits?: WebGpuLimitsRequest;
  /**
   * Loads optional packages (`@tensorflow/tfjs-node`, `-node-gpu`, `webgpu`) by
   * name. Default: native `import()`. Tests and custom bundles replace it.
   */
  importModule?: ImportModule;
  /**
   * Replace slow stock kernels with the faster overrides of this package
   * (wasm: `BatchMatMul` and `Sum` on XNNPACK's fast path). They are checked
   * against the backend's internals at init and left out, with one warning,
   * when those do not match. Default: true, unless `GPT2_KERNEL_OVERRIDES=0`.
   */
  kernelOverrides?: boolean;
  /**
   * In Node, let the optional native addon (OpenBLAS `sgemm` on the wasm
   * heap) serve the wasm overrides when it is built; otherwise they run on
   * XNNPACK, and one line says how to build it. Default: true, unless
   * `GPT2_NATIVE_BLAS=0`.
   */
  nativeBlas?: boolean;
  /**
   * Threads for the native BLAS kernel. Default: `GPT2_BLAS_THREADS` when
   * set, else OpenBLAS's own default (`OPENBLAS_NUM_THREADS`, or every core).
   */
  blasThreads?: number;
  /**
   * Environment variables to read `GPT2_BACKEND`, `GPT2_KERNEL_OVERRIDES`,
   * `GPT2_NATIVE_BLAS` and `GPT2_BLAS_THREADS` from. Default: `process.env` in Node.
   */
  env?: Record<string, string | undefined>;
}

/** The order `'auto'` tries, fastest first. */
export const AUTO_ORDER: Readonly<Record<'node' | 'browser', readonly BackendName[]>> = {
  node: ['node-gpu', 'node', 'wasm', 'cpu'],
  browser: ['webgpu', 'webgl', 'wasm', 'cpu'],
};

const PROVIDERS: Record<BackendName, BackendProvider> = {
  'node-gpu': nodeGpuProvider,
  node: nodeProvider,
  wasm: wasmProvider,
  cpu: cpuProvider,
  webgpu: webgpuProvider,
  webgl: webglProvider,
};

const defaultImport: ImportModule = (specifier) => import(/* @vite-ignore */ specifier);

let gradientsRegistered: Promise<unknown> | undefined;

/** Register tfjs's gradients once; without them no model can train. */
function registerGradients(): Promise<unknown> {
  gradientsRegistered ??= isNode()
    ? import('./gradients/node.js')
    : import('./gradients/browser.js');
  return gradientsRegistered;
}

function parseRequest(value: string, source: string): BackendRequest {
  if (value === 'auto' || (BACKEND_NAMES as readonly string[]).includes(value)) {
    return value as BackendRequest;
  }
  throw new RangeError(
    `Unknown backend '${value}' (from ${source}). Valid: auto, ${BACKEND_NAMES.join(', ')}.`,
  );
}

/**
 * Load, activate and verify a tfjs backend.
 *
 * `'auto'` picks the fastest available: in Node, tfjs-node-gpu with working
 * CUDA, then tfjs-node, then wasm, then cpu; in a browser, WebGPU (hardware
 * adapters only), then WebGL, then wasm, then cpu. The `GPT2_BACKEND`
 * environment variable overrides the request.
 *
 * @throws BackendUnavailableError when a named backend cannot be used; the
 *   message says why and how to fix it.
 * @throws RangeError for an unknown backend name.
 */
export async function initBackend(
  request: BackendRequest = 'auto',
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  const env =
    options.env ??
    (isNode() ? (globalThis as { process: { env: Record<string, string> } }).process.env : {});
  const override = env.GPT2_BACKEND;
  const wanted = override
    ? parseRequest(override, 'GPT2_BACKEND')
    : parseRequest(request, 'the request');
  await registerGradients();
  const blasThreads =
    options.blasThreads ?? (env.GPT2_BLAS_THREADS ? Number(env.GPT2_BLAS_THREADS) : undefined);
  if (blasThreads !== undefined && !(Number.isInteger(blasThreads) && blasThreads >= 1)) {
    throw new RangeError(`blasThreads must be a positive integer, got ${blasThreads}.`);
  }

  const environment = isNode() ? 'node' : 'browser';
  const candidates = wanted === 'auto' ? AUTO_ORDER[environment] : [wanted];
  const attempts: BackendAttempt[] = [];
  for (const name of candidates) {
    const provider = PROVIDERS[name];
    const context = {
      tf,
      importModule: options.importModule ?? defaultImport,
      allowSoftwareAdapter: options.allowSoftwareAdapter ?? wanted !== 'auto',
      webgpuLimits: options.webgpuLimits ?? DEFAULT_WEBGPU_LIMITS,
      kernelOverrides: options.kernelOverrides ?? env.GPT2_KERNEL_OVERRIDES !== '0',
      nativeBlas: options.nativeBlas ?? env.GPT2_NATIVE_BLAS !== '0',
      blasThreads,
    };
    try {
      if (provider.runsIn !== 'both' && provider.runsIn !== environment) {
        throw new BackendUnavailableError({
          backend: name,
          reason: 'unsupported',
          message: `The '${name}' backend runs only in ${provider.runsIn === 'node' ? 'Node.js' : 'browsers'}.`,
          hint: `pick one of: ${AUTO_ORDER[environment].join(', ')}.`,
        });
      }
      const activated = await provider.activate(context);
      attempts.push({ backend: name, ok: true, reason: 'selected' });
      const reason = override
        ? `GPT2_BACKEND=${override}`
        : wanted === 'auto'
          ? attempts.length === 1
            ? `fastest available (auto)`
            : `fastest available (auto; skipped ${attempts
                .filter((a) => !a.ok)
                .map((a) => a.backend)
                .join(', ')})`
          : 'requested';
      return { name, ...activated, reason, attempts };
    } catch (error) {
      if (wanted !== 'auto') throw error;
      attempts.push({
        backend: name,
        ok: false,
        reason: (error as Error).message.split('\n')[0] ?? '',
      });
    }
  }
  throw new BackendUnavailableError({
    backend: 'auto',
    reason: 'unsupported',
    message: `No backend could be activated:\n${attempts.map((a) => `  ${a.backend}: ${a.reason}`).join('\n')}`,
    hint: 'reinstall @gpt2/backends; the cpu backend ships with it.',
  });
}

/** One line for logs: `wasm (cpu, 1 thread, SIMD) — fastest available (auto; skipped node-gpu, node)`. */
export function describeBackend(info: BackendInfo): string {
  const parts: string[] = [info.device];
  if (info.threads > 0) parts.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`);
  if (info.simd) parts.push('SIMD');
  if (info.adapter) {
    const { description, vendor, architecture } = info.adapter;
    parts.push(description || [vendor, architecture].filter(Boolean).join(' ') || 'adapter');
  }
  if (info.limits) parts.push(describeLimits(info.limits));
  if (info.blasThreads)
    parts.push(`OpenBLAS ${info.blasThreads} thread${info.blasThreads === 1 ? '' : 's'}`);
  if (info.patches.length > 0) parts.push(`patched: ${info.patches.join(', ')}`);
  return `${info.name} (${parts.join(', ')}) — ${info.reason}`;
}
