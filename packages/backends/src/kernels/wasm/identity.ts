import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-wasm's backend that this kernel needs (public KernelBackend API). */
interface RefCounting {
  incRef(dataId: object): void;
}

/**
 * `Identity` for wasm that shares the input's buffer instead of copying it,
 * as tfjs's cpu backend and wasm's own `Reshape` do (a reference count on the
 * data id). The engine runs Identity for every tensor it saves for the
 * backward pass (`clone`), so the stock kernel copied each saved activation
 * once per step: over 200 copies in a GPT-2 training step. Sharing is safe
 * because no wasm kernel writes into its inputs; variables are reassigned by
 * reference, never in place. Strings keep the stock kernel.
 */
export function createIdentityOverride(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return stock.kernelFunc(args);
    (args.backend as unknown as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { kernelName: 'Identity', backendName: 'wasm', kernelFunc };
}
