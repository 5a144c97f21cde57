import type { NamedAttrMap, NamedTensorMap } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelContract, KernelInputs } from './contract.js';

/** How often one contract ran on one backend, by way of its kernel or its reference chain. */
export interface KernelDispatchCount {
  /** The tfjs backend name (`tf.getBackend()`). */
  backend: string;
  /** The contract's kernel name. */
  kernel: string;
  /** Calls served by the backend's kernel. */
  viaKernel: number;
  /** Calls served by the reference op chain (the backend has no such kernel). */
  viaReference: number;
  /** Whether the backend claimed the kernel when it was activated (`BackendInfo.kernels`). */
  claimed: boolean;
}

interface DispatchState {
  counts: Map<string, KernelDispatchCount>;
  claims: Map<string, ReadonlySet<string>>;
}

// On globalThis, keyed by a registered symbol: two copies of this package in
// one install still share one set of counts (as tfjs shares its registries).
const STATE = Symbol.for('gpt2.kernelDispatch');
function state(): DispatchState {
  const holder = globalThis as { [STATE]?: DispatchState };
  holder[STATE] ??= { counts: new Map(), claims: new Map() };
  return holder[STATE];
}

/** Whether the active backend has a kernel registered for `contract` (not counted). */
export function hasKernel(contract: { readonly name: string }): boolean {
  const backend = tf.getBackend();
  return backend !== undefined && tf.getKernel(contract.name, backend) !== undefined;
}

/**
 * Decide how a library op runs `contract` on the active backend: true when the
 * backend has the kernel, false for the reference chain. Each answer is
 * counted ({@link kernelDispatchCounts}), so tests can prove that a backend
 * which claims a kernel never falls back. Ops with their own autodiff
 * wrapper use this; plain ones use {@link dispatch}.
 */
export function useKernel(contract: { readonly name: string }): boolean {
  const backend = tf.getBackend() ?? '';
  const viaKernel = backend !== '' && tf.getKernel(contract.name, backend) !== undefined;
  const { counts, claims } = state();
  const key = `${backend}\u0000${contract.name}`;
  let count = counts.get(key);
  if (!count) {
    count = { backend, kernel: contract.name, viaKernel: 0, viaReference: 0, claimed: false };
    counts.set(key, count);
  }
  count.claimed = claims.get(backend)?.has(contract.name) ?? false;
  if (viaKernel) count.viaKernel++;
  else count.viaReference++;
  return viaKernel;
}

/** Run the active backend's kernel for `contract` (check {@link useKernel} first). */
export function runKernel<
  Inputs extends KernelInputs,
  Attrs extends object,
  Outputs extends readonly tf.Tensor[],
>(contract: KernelContract<Inputs, Attrs, Outputs>, inputs: Inputs, attrs: Attrs): Outputs {
  const named: NamedTensorMap = {};
  for (const [name, tensor] of Object.entries(inputs)) if (tensor) named[name] = tensor;
  return tf
    .engine()
    .runKernel(contract.name, named, attrs as unknown as NamedAttrMap) as unknown as Outputs;
}

/**
 * Run `contract`: the active backend's kernel when it has one, the reference
 * chain otherwise (counted, as {@link useKernel}). Call inside `tf.tidy`.
 */
export function dispatch<
  Inputs extends KernelInputs,
  Attrs extends object,
  Outputs extends readonly tf.Tensor[],
>(contract: KernelContract<Inputs, Attrs, Outputs>, inputs: Inputs, attrs: Attrs): Outputs {
  return useKernel(contract)
    ? runKernel(contract, inputs, attrs)
    : contract.reference(inputs, attrs);
}

/**
 * Record which contract kernels a tfjs backend claims to implement: called by
 * `initBackend` with the provider's `kernels` after activation.
 */
export function claimKernels(tfBackend: string, kernels: readonly string[]): void {
  state().claims.set(tfBackend, new Set(kernels));
}

/** The dispatch counts since the last {@link resetKernelDispatchCounts}, per backend and kernel. */
export function kernelDispatchCounts(): KernelDispatchCount[] {
  return [...state().counts.values()].map((count) => ({ ...count }));
}

/** Dispatches that took the reference chain on a backend that claims the kernel: a bug. */
export function fallbacksOnClaimingBackends(): KernelDispatchCount[] {
  return kernelDispatchCounts().filter((count) => count.claimed && count.viaReference > 0);
}

/** Forget the counts (the claims stay). */
export function resetKernelDispatchCounts(): void {
  state().counts.clear();
}
