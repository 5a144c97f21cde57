/**
 * `@gpt2/backends/webgpu`: WebGPU (`@tensorflow/tfjs-backend-webgpu`, an
 * optional peer dependency), in browsers natively and in Node through Dawn
 * (the optional `webgpu` package).
 */
import { importNodeOnly, isNode } from '../environment.js';
import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import type { BackendProvider, ImportModule } from '../provider.js';
import { activateWebGpu } from '../webgpu/activate-webgpu.js';
import { describeAdapter, type GpuAdapterLike, type GpuLike } from '../webgpu/adapter.js';
import type { GpuAdapterWithDevice, WebGpuLimitsRequest } from '../webgpu/device.js';

export type { WebGpuLimitsRequest } from '../webgpu/device.js';
export {
  checkWebGpuErrors,
  observeWebGpuDispatches,
  type WebGpuDispatch,
} from '../webgpu/device-errors.js';

/** Options for {@link createWebgpuBackend}. */
export interface WebgpuBackendOptions {
  /**
   * Allow a software adapter (SwiftShader, llvmpipe): correct but slower than
   * wasm. Default: true when this provider is asked for alone, false when it is
   * one candidate of several (`'auto'`), where a CPU-emulated GPU must never win.
   */
  allowSoftwareAdapter?: boolean;
  /**
   * Node: SwiftShader's Vulkan driver (`libvk_swiftshader.so`), used when Dawn
   * finds no hardware adapter and software adapters are allowed. Default: a
   * known Chromium install (`/usr/lib/chromium/libvk_swiftshader.so`, …).
   */
  swiftshaderPath?: string;
  /** Node: loads the optional `webgpu` package (Dawn). Default: `import()`; tests replace it. */
  importModule?: ImportModule;
  /**
   * Device limits to request: `'adapter'` asks for what the adapter offers
   * for storage buffers per shader, binding and buffer sizes and workgroups
   * (GPT-2 124M's 147 MiB `wte` needs more than WebGPU's default 128 MiB);
   * `'default'` keeps WebGPU's defaults (8 storage buffers, 128 MiB per
   * binding), to reproduce a small device. The limits granted are in
   * `BackendInfo.limits`. Default: {@link DEFAULT_WEBGPU_BACKEND_OPTIONS}.limits (`'adapter'`).
   */
  limits?: WebGpuLimitsRequest;
  /**
   * Replace tfjs kernels that break a device limit with this package's
   * (`AddN` in chunks within `maxStorageBuffersPerShaderStage`); false keeps
   * tfjs's own, to reproduce what tfjs alone does. Default:
   * {@link DEFAULT_WEBGPU_BACKEND_OPTIONS}.kernelOverrides (true).
   */
  kernelOverrides?: boolean;
}

/** Defaults of {@link WebgpuBackendOptions}. */
export const DEFAULT_WEBGPU_BACKEND_OPTIONS = {
  limits: 'adapter',
  kernelOverrides: true,
} as const satisfies WebgpuBackendOptions;

const defaultImport: ImportModule = (specifier) =>
  import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);

async function browserAdapter(): Promise<GpuAdapterLike> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  const adapter = gpu ? await gpu.requestAdapter() : null;
  if (!adapter) {
    throw new BackendUnavailableError({
      backend: 'webgpu',
      reason: 'unsupported',
      message: 'This browser exposes no WebGPU adapter.',
      hint: 'use a browser with WebGPU enabled (Chrome 113+, Edge, Safari 26) or pick webgl.',
    });
  }
  return adapter;
}

/** WebGPU: in browsers natively, in Node through Dawn (`webgpu` package). */
export function createWebgpuBackend(options: WebgpuBackendOptions = {}): BackendProvider {
  return {
    name: 'webgpu',
    runsIn: 'both',
    async activate(context) {
      const allowSoftwareAdapter = options.allowSoftwareAdapter ?? !context.auto;
      let adapter: GpuAdapterLike;
      if (isNode()) {
        // Out of web bundles: Dawn's set-up needs node:fs and Vulkan files.
        const dawn = await importNodeOnly<typeof import('../webgpu/node-dawn.js')>(
          '../webgpu/node-dawn.js',
          import.meta.url,
        );
        adapter = await dawn.setUpNodeWebGpu({
          importModule: options.importModule ?? defaultImport,
          allowSoftwareAdapter,
          swiftshaderPath: options.swiftshaderPath,
        });
      } else {
        adapter = await browserAdapter();
      }
      const info = describeAdapter(adapter);
      if (info.isSoftware && !allowSoftwareAdapter) {
        throw new BackendUnavailableError({
          backend: 'webgpu',
          reason: 'unsupported',
          message: `The only WebGPU adapter is a software one (${info.description || info.vendor}); it is slower than wasm.`,
          hint: "ask for 'webgpu' explicitly to use it anyway.",
        });
      }
      // Our device, our limits, watched for errors: webgpu/activate-webgpu.ts.
      const { limits, patches } = await activateWebGpu(context, adapter as GpuAdapterWithDevice, {
        limits: options.limits ?? DEFAULT_WEBGPU_BACKEND_OPTIONS.limits,
        kernelOverrides: options.kernelOverrides ?? DEFAULT_WEBGPU_BACKEND_OPTIONS.kernelOverrides,
      });
      return {
        tfBackend: 'webgpu',
        device: info.isSoftware ? 'software-gpu' : 'gpu',
        threads: 0,
        simd: false,
        adapter: info,
        limits,
        patches,
        kernels: [],
      };
    },
  };
}
