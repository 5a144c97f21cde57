import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs's `WebGPUBackend` this kernel reads. */
interface WebGpuBackendLike {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): boolean;
}

/**
 * AddN within the device's binding limit. tfjs-backend-webgpu's AddN compiles
 * one shader over all N inputs, binding N + 1 storage buffers; past
 * `maxStorageBuffersPerShaderStage` (8 by default) the device rejects the
 * pipeline and the sum comes back as garbage (the 29-tensor sum of squared
 * gradients in `globalNorm`). This sums at most limit − 1 tensors per
 * dispatch with the stock kernel, then sums the partial sums the same way.
 */
export function createChunkedAddN(stock: KernelConfig): KernelConfig {
  const stockFunc = stock.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const tensors = args.inputs as unknown as TensorInfo[];
    const backend = args.backend as unknown as WebGpuBackendLike;
    const perDispatch = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (tensors.length <= perDispatch) return stockFunc(args);
    const partials: TensorInfo[] = [];
    let level = tensors;
    while (level.length > perDispatch) {
      const next: TensorInfo[] = [];
      for (let i = 0; i < level.length; i += perDispatch) {
        const chunk = level.slice(i, i + perDispatch);
        if (chunk.length === 1) {
          next.push(chunk[0]!);
          continue;
        }
        const sum = stockFunc({ ...args, inputs: chunk as never }) as TensorInfo;
        partials.push(sum);
        next.push(sum);
      }
      level = next;
    }
    const result = stockFunc({ ...args, inputs: level as never }) as TensorInfo;
    // tfjs defers the release of buffers that queued work still reads.
    for (const partial of partials) backend.disposeData(partial.dataId);
    return result;
  };
  return { ...stock, kernelFunc };
}
