import * as tf from '@tensorflow/tfjs-core';
import { defineKernelContract } from './contract.js';

/** Inputs of {@link ADAMW_UPDATE}: one parameter, its two moments and its gradient, float32, one shape. */
export interface AdamWUpdateInputs {
  param: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  grad: tf.Tensor;
}

/**
 * Attributes of {@link ADAMW_UPDATE}. For each element, in float32 and in
 * torch.optim.AdamW's order (torch 1.13 `_single_tensor_adamw`):
 *   g = grad·gradScale;  p = param·decay
 *   m' = m·β1 + g·(1 − β1);  v' = v·β2 + g·g·(1 − β2)
 *   param' = p + m' / (√v' / biasCorrection2Sqrt + eps) · (−stepSize)
 */
export interface AdamWUpdateAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 − β1^step). */
  stepSize: number;
  /** √(1 − β2^step). */
  biasCorrection2Sqrt: number;
  /** 1 − lr·weightDecay for decayed parameters, 1 for the others. */
  decay: number;
  /** Multiplies the gradient first (the clipping coefficient); 1 for none. */
  gradScale: number;
  /**
   * The caller gives up `param`, `m` and `v` (it assigns the outputs to the
   * variables they came from at once): a kernel may then write the results
   * into their buffers, when no other tensor shares them, and return those
   * buffers, so a step allocates nothing. The reference ignores it. Default:
   * false (the inputs stay as they were).
   */
  inPlace?: boolean;
}

/**
 * One AdamW step for one parameter: outputs [param', m', v']. @gpt2/trainer's
 * `AdamW` runs it once per parameter. An implementation must round every
 * operation to float32 in the reference's order: the results are compared bit
 * for bit, so a run resumes to the same weights on every backend.
 */
export const ADAMW_UPDATE = defineKernelContract<
  AdamWUpdateInputs,
  AdamWUpdateAttrs,
  [tf.Tensor, tf.Tensor, tf.Tensor]
>({
  name: 'AdamWUpdate',
  inputNames: ['param', 'm', 'v', 'grad'],
  outputNames: ['param', 'm', 'v'],
  tolerance: 0,
  reference({ param, m, v, grad }, attrs) {
    const { beta1, beta2, eps, stepSize, biasCorrection2Sqrt, decay, gradScale } = attrs;
    // Multiplications by exactly 1 are left out: they cost a pass and change nothing.
    const g = gradScale !== 1 ? tf.mul(grad, gradScale) : grad;
    const decayed = decay !== 1 ? tf.mul(param, decay) : param;
    const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
    const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.mul(g, g), 1 - beta2));
    const denominator = tf.add(tf.div(tf.sqrt(v1), biasCorrection2Sqrt), eps);
    return [tf.add(decayed, tf.mul(tf.div(m1, denominator), -stepSize)), m1, v1];
  },
});
