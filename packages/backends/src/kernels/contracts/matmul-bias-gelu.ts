import * as tf from '@tensorflow/tfjs-core';
import { defineKernelContract, type NoAttrs } from './contract.js';
import { geluForwardChain } from './gelu.js';

/** Inputs of {@link MATMUL_BIAS_GELU}. */
export interface MatMulBiasGeluInputs {
  /** [N, K] float32. */
  x: tf.Tensor2D;
  /** [K, M] float32 (HF Conv1D layout, [in, out]). */
  weight: tf.Tensor2D;
  /** [M]; absent for a layer without bias. */
  bias?: tf.Tensor1D;
}

/**
 * The seed's op sequence for GELU(x·W + b): a matMul, a bias add, and
 * {@link geluForwardChain}. Returns the activation and its input h = x·W + b.
 */
export function matMulBiasGeluChain(
  x: tf.Tensor2D,
  weight: tf.Tensor2D,
  bias: tf.Tensor1D | undefined,
): { y: tf.Tensor2D; preactivation: tf.Tensor2D } {
  const product = tf.matMul(x, weight); // [N, M]
  const preactivation = (bias ? tf.add(product, bias) : product) as tf.Tensor2D; // [N, M]
  return { y: geluForwardChain(preactivation).y as tf.Tensor2D, preactivation };
}

/**
 * GELU(x·W + b) in one kernel, the first half of GPT-2's MLP: outputs
 * [y [N, M], preactivation h [N, M]]. The gradient needs only h (with x and
 * W): dh = GELU_GRAD(dy, h), then two matMuls and a column sum, so no
 * contract of its own.
 */
export const MATMUL_BIAS_GELU = defineKernelContract<
  MatMulBiasGeluInputs,
  NoAttrs,
  [tf.Tensor2D, tf.Tensor2D]
>({
  name: 'MatMulBiasGelu',
  inputNames: ['x', 'weight', 'bias?'],
  outputNames: ['y', 'preactivation'],
  tolerance: 1e-5,
  reference({ x, weight, bias }) {
    const { y, preactivation } = matMulBiasGeluChain(x, weight, bias);
    return [y, preactivation];
  },
});
