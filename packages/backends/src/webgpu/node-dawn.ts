/**
 * WebGPU in Node through the optional `webgpu` package (Google's Dawn). Loaded
 * by the webgpu provider in Node only, never bundled for browsers.
 */
import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import type { ImportModule } from '../provider.js';
import { isModuleNotFound } from '../providers/activate.js';
import type { GpuAdapterLike, GpuLike } from './adapter.js';
import { ensureRuntimeDir, useSwiftShaderVulkan } from './swiftshader.js';

interface WebGpuNodeModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

function installNavigatorGpu(gpu: GpuLike): void {
  const current = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(globalThis, 'navigator', {
    value: Object.assign(Object.create(Object.getPrototypeOf(current)), current, { gpu }),
    configurable: true,
    writable: true,
  });
}

/**
 * The Dawn instance made by the first activation, kept for the process: the
 * devices of tfjs's backend live in it, and a replaced instance is collected
 * with its devices, which crashed the next dispatch after a second
 * `initBackend('webgpu')`.
 */
let dawnInstance: GpuLike | undefined;

/**
 * Load Dawn, find an adapter (retrying on SwiftShader when software adapters
 * are allowed and there is no hardware one) and install `navigator.gpu`.
 */
export async function setUpNodeWebGpu(options: {
  importModule: ImportModule;
  allowSoftwareAdapter: boolean;
  swiftshaderPath: string | undefined;
}): Promise<GpuAdapterLike> {
  if (dawnInstance) {
    const adapter = await dawnInstance.requestAdapter();
    if (adapter) return adapter;
  }
  let webgpu: WebGpuNodeModule;
  try {
    webgpu = (await options.importModule('webgpu')) as WebGpuNodeModule;
  } catch (error) {
    throw new BackendUnavailableError({
      backend: 'webgpu',
      reason: isModuleNotFound(error, 'webgpu') ? 'missing' : 'broken',
      message: 'WebGPU in Node needs the optional `webgpu` package (Dawn), which did not load.',
      hint: 'run `pnpm add webgpu@0.6.2`, and `apt-get install libvulkan1` for its Vulkan loader.',
      cause: error,
    });
  }
  Object.assign(globalThis, webgpu.globals);
  ensureRuntimeDir();
  let gpu = webgpu.create([]);
  let adapter = await gpu.requestAdapter();
  if (!adapter && options.allowSoftwareAdapter) {
    if (useSwiftShaderVulkan(options.swiftshaderPath)) {
      gpu = webgpu.create([]);
      adapter = await gpu.requestAdapter();
    }
  }
  if (!adapter) {
    throw new BackendUnavailableError({
      backend: 'webgpu',
      reason: 'unsupported',
      message: 'Dawn found no WebGPU adapter on this machine.',
      hint: 'install a Vulkan driver for your GPU and `libvulkan1`; on a CPU-only machine, `apt-get install chromium libvulkan1` provides the SwiftShader adapter (slow, for testing).',
    });
  }
  dawnInstance = gpu;
  installNavigatorGpu(gpu);
  return adapter;
}
