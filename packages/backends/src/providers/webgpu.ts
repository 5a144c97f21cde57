import { isNode } from '../environment.js';
import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import type { AdapterInfo } from '../types.js';
import { activateWebGpu } from '../webgpu/activate-webgpu.js';
import type { GpuAdapterLike } from '../webgpu/device.js';
import { isModuleNotFound } from './activate.js';
import type { BackendProvider, ProviderContext } from './provider.js';

interface GpuLike {
  requestAdapter(options?: object): Promise<GpuAdapterLike | null>;
}
interface WebGpuNodeModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|basic render/i;

function describeAdapter(adapter: GpuAdapterLike): AdapterInfo {
  const info = adapter.info ?? {};
  const described = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
  const text = Object.values(described).join(' ');
  return {
    ...described,
    isSoftware: adapter.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(text),
  };
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
 * The Dawn instance made by the first activation. Kept for the process: the
 * devices of tfjs's backend live in it, and a replaced instance is collected
 * with its devices, which crashes the next dispatch.
 */
let nodeGpu: GpuLike | undefined;

/**
 * In Node, WebGPU comes from the optional `webgpu` package (Google's Dawn).
 * With no hardware adapter, retry on SwiftShader when Chromium provides it.
 */
async function setUpNodeWebGpu(context: ProviderContext): Promise<GpuAdapterLike> {
  if (nodeGpu) {
    const adapter = await nodeGpu.requestAdapter();
    if (adapter) return adapter;
  }
  let webgpu: WebGpuNodeModule;
  try {
    webgpu = (await context.importModule('webgpu')) as WebGpuNodeModule;
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
  const { ensureRuntimeDir, useSwiftShaderVulkan } = await import('../webgpu/swiftshader.js');
  ensureRuntimeDir();
  let gpu = webgpu.create([]);
  let adapter = await gpu.requestAdapter();
  if (!adapter && context.allowSoftwareAdapter) {
    if (useSwiftShaderVulkan()) {
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
  nodeGpu = gpu;
  installNavigatorGpu(gpu);
  return adapter;
}

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
export const webgpuProvider: BackendProvider = {
  name: 'webgpu',
  runsIn: 'both',
  async activate(context) {
    const adapter = isNode() ? await setUpNodeWebGpu(context) : await browserAdapter();
    const info = describeAdapter(adapter);
    if (info.isSoftware && !context.allowSoftwareAdapter) {
      throw new BackendUnavailableError({
        backend: 'webgpu',
        reason: 'unsupported',
        message: `The only WebGPU adapter is a software one (${info.description || info.vendor}); it is slower than wasm.`,
        hint: "ask for 'webgpu' explicitly to use it anyway.",
      });
    }
    const { limits, patches } = await activateWebGpu(context, adapter, context.webgpuLimits);
    return {
      tfBackend: 'webgpu',
      device: info.isSoftware ? 'software-gpu' : 'gpu',
      threads: 0,
      simd: false,
      adapter: info,
      limits,
      patches,
    };
  },
};
