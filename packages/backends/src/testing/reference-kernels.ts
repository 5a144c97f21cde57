import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import type { AnyKernelContract } from '../kernels/contracts/contract.js';
import { KERNEL_CONTRACTS } from '../kernels/contracts/index.js';

/**
 * Register each contract's reference chain as that contract's kernel on
 * `backendName`: a stand-in implementation that takes the kernel path of the
 * library ops (their `customGrad` wrappers, the gradient dispatch) with the
 * reference's numbers. For tests of the library ops and of the conformance
 * suite itself, never for speed. Returns a function that unregisters them.
 */
export function registerReferenceKernels(
  backendName: string,
  contracts: readonly AnyKernelContract[] = KERNEL_CONTRACTS,
): () => void {
  for (const contract of contracts) {
    const kernelFunc: KernelFunc = ({ inputs, attrs }) =>
      // The engine passes the input tensors through, and takes tensors back as they are.
      tf.tidy(() => [...contract.reference(inputs, attrs as NamedAttrMap)]) as TensorInfo[];
    tf.registerKernel({ kernelName: contract.name, backendName, kernelFunc });
  }
  return () => {
    for (const contract of contracts) tf.unregisterKernel(contract.name, backendName);
  };
}
