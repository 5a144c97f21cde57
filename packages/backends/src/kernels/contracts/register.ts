import type * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { ContractKernelFunc, KernelContract, KernelInputs } from './contract.js';

/**
 * The `KernelConfig` that implements `contract` on `backendName`; register it
 * with `tf.registerKernel` when the backend is activated. The name comes from
 * the contract, so a backend cannot register a kernel under a name that no
 * library op runs, and the inputs and attributes are typed as the contract says.
 */
export function contractKernelConfig<Inputs extends KernelInputs, Attrs extends object>(
  contract: KernelContract<Inputs, Attrs, readonly tf.Tensor[]>,
  backendName: string,
  kernelFunc: ContractKernelFunc<Inputs, Attrs>,
): KernelConfig {
  return {
    kernelName: contract.name,
    backendName,
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
