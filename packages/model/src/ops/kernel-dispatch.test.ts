/**
 * The library ops on the kernel path: with each contract's reference chain
 * registered as the cpu backend's kernel, the model's loss and every gradient
 * match the op chain's, whether the gradient contracts have kernels too or
 * fall back to their chains; cached decoding runs the attention kernel with
 * keys longer than queries; dropout keeps attention on the chain; and the
 * dispatcher counts a fallback on a backend that claims a kernel.
 */
import { type BackendProvider, initBackend } from '@gpt2/backends';
import { createCpuBackend } from '@gpt2/backends/cpu';
import {
  type AnyKernelContract,
  CAUSAL_ATTENTION,
  CAUSAL_ATTENTION_GRAD,
  fallbacksOnClaimingBackends,
  GELU,
  GELU_GRAD,
  KERNEL_CONTRACTS,
  kernelDispatchCounts,
  LAYER_NORM,
  LAYER_NORM_GRAD,
  resetKernelDispatchCounts,
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
} from '@gpt2/backends/kernels';
import { maxRelativeError, registerReferenceKernels } from '@gpt2/backends/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { GPT2Model } from '../model.js';

const FORWARD = [GELU, LAYER_NORM, CAUSAL_ATTENTION, SOFTMAX_CROSS_ENTROPY];
const GRADIENTS = [GELU_GRAD, LAYER_NORM_GRAD, CAUSAL_ATTENTION_GRAD, SOFTMAX_CROSS_ENTROPY_GRAD];

/** The cpu backend, claiming `claimed` and registering the reference chains of `registered` as kernels. */
function cpuWith(
  registered: readonly AnyKernelContract[],
  claimed: readonly AnyKernelContract[] = registered,
): BackendProvider {
  const cpu = createCpuBackend();
  return {
    name: 'cpu',
    runsIn: 'both',
    async activate(context) {
      const activated = await cpu.activate(context);
      for (const contract of KERNEL_CONTRACTS) {
        if (context.tf.getKernel(contract.name, 'cpu'))
          context.tf.unregisterKernel(contract.name, 'cpu');
      }
      registerReferenceKernels('cpu', registered);
      return { ...activated, kernels: claimed.map((contract) => contract.name) };
    },
  };
}

const config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: 61,
  nPositions: 16,
  nLayer: 2,
  embdPdrop: 0,
  attnPdrop: 0,
  residPdrop: 0,
});
const ids = [
  [5, 9, 1, 33, 7, 7, 2, 60, 11, 0, 4, 19],
  [8, 3, 3, 21, 44, 5, 6, 2, 9, 13, 58, 1],
];
const targets = [
  [9, 1, 33, 7, 7, 2, 60, 11, 0, 4, 19, -1],
  [3, 3, 21, 44, 5, 6, 2, 9, 13, 58, 1, -1],
];

/** Loss and every gradient of a fixed model, as plain arrays. */
function lossAndGradients(): { loss: number; grads: Map<string, Float32Array> } {
  const model = GPT2Model.create(config, { seed: 7 });
  const { value, grads } = tf.variableGrads(() =>
    model.loss(ids, targets, { labelSmoothing: 0.1 }),
  );
  const result = {
    loss: value.dataSync()[0]!,
    // By HF name: tfjs variable names carry a per-model scope.
    grads: new Map(
      [...model.parameters()].map(([name, v]) => [name, grads[v.name]!.dataSync() as Float32Array]),
    ),
  };
  tf.dispose([value, ...Object.values(grads)]);
  model.dispose();
  return result;
}

function counts(name: string): { viaKernel: number; viaReference: number } {
  const found = kernelDispatchCounts().filter((c) => c.kernel === name && c.backend === 'cpu');
  return {
    viaKernel: found.reduce((sum, c) => sum + c.viaKernel, 0),
    viaReference: found.reduce((sum, c) => sum + c.viaReference, 0),
  };
}

afterEach(() => resetKernelDispatchCounts());

describe('library ops on contract kernels (reference stand-ins on cpu)', () => {
  it('give the op chain loss and gradients, with and without gradient kernels', async () => {
    await initBackend(cpuWith([]));
    resetKernelDispatchCounts();
    const chain = lossAndGradients();
    for (const contract of FORWARD) {
      expect(counts(contract.name), contract.name).toMatchObject({ viaKernel: 0 });
      expect(counts(contract.name).viaReference, contract.name).toBeGreaterThan(0);
    }

    for (const registered of [[...FORWARD, ...GRADIENTS], FORWARD]) {
      await initBackend(cpuWith(registered));
      resetKernelDispatchCounts();
      const before = tf.memory().numTensors;
      const fused = lossAndGradients();
      expect(tf.memory().numTensors).toBe(before);
      expect(Math.abs(fused.loss - chain.loss) / chain.loss).toBeLessThan(1e-6);
      for (const [name, grad] of chain.grads) {
        expect(maxRelativeError(fused.grads.get(name)!, grad), name).toBeLessThan(1e-5);
      }
      for (const contract of FORWARD) {
        expect(counts(contract.name), contract.name).toMatchObject({ viaReference: 0 });
        expect(counts(contract.name).viaKernel, contract.name).toBeGreaterThan(0);
      }
      for (const contract of GRADIENTS) {
        const used = counts(contract.name);
        expect(registered.includes(contract) ? used.viaKernel : used.viaReference).toBeGreaterThan(
          0,
        );
      }
      expect(fallbacksOnClaimingBackends()).toEqual([]);
    }
  });

  it('decode with a KV cache on the attention kernel: the logits of a full forward pass', async () => {
    await initBackend(cpuWith([...FORWARD, ...GRADIENTS]));
    const model = GPT2Model.create(config, { seed: 3 });
    const full = tf.tidy(() => model.forward([ids[0]!]).arraySync()[0]!);
    const cache = model.createKVCache(1);
    const stepwise: number[][] = [];
    tf.tidy(() =>
      stepwise.push(...model.forward([ids[0]!.slice(0, 5)], { cache }).arraySync()[0]!),
    );
    for (const id of ids[0]!.slice(5)) {
      tf.tidy(() => stepwise.push(...model.forward([[id]], { cache }).arraySync()[0]!));
    }
    expect(maxRelativeError(stepwise.flat(), full.flat())).toBeLessThan(1e-5);
    expect(counts(CAUSAL_ATTENTION.name).viaReference).toBe(0);
    cache.dispose();
    model.dispose();
  });

  it('keep attention on the chain while attention dropout is on', async () => {
    await initBackend(cpuWith([...FORWARD, ...GRADIENTS]));
    const model = GPT2Model.create({ ...config, attnPdrop: 0.1 }, { seed: 3 });
    resetKernelDispatchCounts();
    tf.tidy(() => model.forward(ids, { training: true }));
    expect(counts(CAUSAL_ATTENTION.name)).toEqual({ viaKernel: 0, viaReference: 0 });
    expect(counts(GELU.name).viaKernel).toBeGreaterThan(0);
    tf.tidy(() => model.forward(ids));
    expect(counts(CAUSAL_ATTENTION.name).viaKernel).toBe(config.nLayer);
    model.dispose();
  });

  it('count a fallback on a backend that claims the kernel', async () => {
    await initBackend(cpuWith([LAYER_NORM], [LAYER_NORM, GELU]));
    const model = GPT2Model.create(config, { seed: 3 });
    tf.tidy(() => model.forward(ids));
    model.dispose();
    expect(fallbacksOnClaimingBackends().map((c) => [c.backend, c.kernel])).toEqual([
      ['cpu', GELU.name],
    ]);
  });
});
