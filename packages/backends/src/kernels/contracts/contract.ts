import type * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';

/** A kernel's named input tensors (an interface of `tf.Tensor` fields; optional ones may be absent). */
export type KernelInputs = object;

/** A kernel without attributes. */
export type NoAttrs = Record<string, never>;

/**
 * The specification of one custom kernel, shared by the library op that runs
 * it and by every backend that implements it (tfjs's split: ops in the
 * library, kernels per backend). It holds the kernel name (the only place that
 * string is written), the typed inputs, attributes and outputs, and the
 * reference op chain, which defines the numbers: a backend's kernel must
 * match it within {@link KernelContract.tolerance}, and the library op runs
 * the chain wherever the active backend has no kernel.
 */
export interface KernelContract<
  Inputs extends KernelInputs,
  Attrs extends object,
  Outputs extends readonly tf.Tensor[],
> {
  /** The kernel name, as registered with `tf.registerKernel` and run with `runKernel`. */
  readonly name: string;
  /** Input names, in the order the kernel documents them; `?` marks an optional one. */
  readonly inputNames: readonly string[];
  /** Output names, in the order the kernel returns them. */
  readonly outputNames: readonly string[];
  /**
   * Largest relative error (|a − b| / max(1, |b|)) an implementation may show
   * against the reference on the conformance cases; 0 means bit for bit.
   */
  readonly tolerance: number;
  /**
   * The reference op chain: the outputs from tfjs-core ops, on any backend.
   * Creates intermediate tensors: call it inside `tf.tidy`.
   */
  reference(inputs: Inputs, attrs: Attrs): Outputs;
}

/** Any contract, for lists and registries. */
// biome-ignore lint/suspicious/noExplicitAny: a list of contracts of different types.
export type AnyKernelContract = KernelContract<any, any, readonly tf.Tensor[]>;

/** The inputs of a contract as a kernel receives them. */
export type KernelInputInfos<Inputs extends KernelInputs> = {
  [Name in keyof Inputs]: undefined extends Inputs[Name] ? TensorInfo | undefined : TensorInfo;
};

/**
 * A backend's implementation of a contract: typed inputs and attributes,
 * one output per {@link KernelContract.outputNames}.
 */
export type ContractKernelFunc<Inputs extends KernelInputs, Attrs extends object> = (params: {
  inputs: KernelInputInfos<Inputs>;
  attrs: Attrs;
  backend: KernelBackend;
}) => TensorInfo[];

/** Freeze and return a contract (a helper that keeps the type parameters explicit). */
export function defineKernelContract<
  Inputs extends KernelInputs,
  Attrs extends object,
  Outputs extends readonly tf.Tensor[],
>(contract: KernelContract<Inputs, Attrs, Outputs>): KernelContract<Inputs, Attrs, Outputs> {
  return Object.freeze(contract);
}
