import type * as tf from '@tensorflow/tfjs-core';
import { ADAMW_UPDATE, type AdamWUpdateAttrs, type AdamWUpdateInputs } from './adamw-update.js';
import { defineKernelContract } from './contract.js';

/**
 * Inputs of {@link ADAMW_UPDATE_MULTI}: for each parameter i, `param{i}`,
 * `m{i}`, `v{i}` and `grad{i}` (float32, one shape per i), i = 0 … n − 1 with
 * n = `decays.length`. Build them with {@link adamWUpdateMultiInputs}.
 */
export type AdamWUpdateMultiInputs = Record<string, tf.Tensor>;

/** Attributes of {@link ADAMW_UPDATE_MULTI}: those of {@link ADAMW_UPDATE}, with one decay per parameter. */
export interface AdamWUpdateMultiAttrs extends Omit<AdamWUpdateAttrs, 'decay'> {
  /** Per parameter: 1 − lr·weightDecay when it is decayed, 1 otherwise. Its length is n. */
  decays: number[];
}

/** The inputs of {@link ADAMW_UPDATE_MULTI} for a list of per-parameter inputs. */
export function adamWUpdateMultiInputs(
  parameters: readonly AdamWUpdateInputs[],
): AdamWUpdateMultiInputs {
  const inputs: AdamWUpdateMultiInputs = {};
  parameters.forEach(({ param, m, v, grad }, i) => {
    inputs[`param${i}`] = param;
    inputs[`m${i}`] = m;
    inputs[`v${i}`] = v;
    inputs[`grad${i}`] = grad;
  });
  return inputs;
}

/**
 * One AdamW step for many parameters at once: outputs [param'0, m'0, v'0,
 * param'1, m'1, v'1, …]. Each parameter's numbers are exactly
 * {@link ADAMW_UPDATE}'s, bit for bit. A backend implements it where one
 * kernel per parameter costs more than the update itself (a GPU, whose
 * per-dispatch cost dominates the small tensors: biases and LayerNorm gains);
 * elsewhere @gpt2/trainer's `AdamW` runs the per-parameter kernel.
 */
export const ADAMW_UPDATE_MULTI = defineKernelContract<
  AdamWUpdateMultiInputs,
  AdamWUpdateMultiAttrs,
  tf.Tensor[]
>({
  name: 'AdamWUpdateMulti',
  inputNames: ['param{i}', 'm{i}', 'v{i}', 'grad{i}'],
  outputNames: ['param{i}', 'm{i}', 'v{i}'],
  tolerance: 0,
  reference(inputs, { decays, ...attrs }) {
    return decays.flatMap((decay, i) =>
      ADAMW_UPDATE.reference(
        {
          param: inputs[`param${i}`]!,
          m: inputs[`m${i}`]!,
          v: inputs[`v${i}`]!,
          grad: inputs[`grad${i}`]!,
        },
        { ...attrs, decay },
      ),
    );
  },
});
