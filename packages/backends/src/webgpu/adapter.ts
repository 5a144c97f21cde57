import type { AdapterInfo } from '../types.js';

/** The part of `GPUAdapter` read here. */
export interface GpuAdapterLike {
  info?: Partial<Record<'vendor' | 'architecture' | 'device' | 'description', string>>;
  isFallbackAdapter?: boolean;
}

/** The part of `GPU` (`navigator.gpu`) used here. */
export interface GpuLike {
  requestAdapter(options?: object): Promise<GpuAdapterLike | null>;
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|basic render/i;

/** What an adapter says about itself, and whether it is a CPU implementation. */
export function describeAdapter(adapter: GpuAdapterLike): AdapterInfo {
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
