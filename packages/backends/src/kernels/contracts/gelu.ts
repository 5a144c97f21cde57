import * as tf from '@tensorflow/tfjs-core';
import { defineKernelContract, type NoAttrs } from './contract.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;

/**
 * GELU, tanh approximation (Hendrycks & Gimpel 2016; HF `gelu_new`, the
 * activation GPT-2 was trained with):
 *   0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
 * computed as x·σ(2u), u = √(2/π)·(x + 0.044715·x³), which is the same
 * function (0.5·(1 + tanh u) = σ(2u)); wasm's Tanh kernel is scalar and ~15×
 * slower than its Sigmoid. Returns y with x² and s = σ(2u), which the
 * gradient reuses. Six element-wise kernels.
 */
export function geluForwardChain(x: tf.Tensor): { y: tf.Tensor; x2: tf.Tensor; s: tf.Tensor } {
  const x2 = tf.mul(x, x);
  const twoU = tf.mul(x, tf.add(tf.mul(x2, 2 * SQRT_2_OVER_PI * CUBIC), 2 * SQRT_2_OVER_PI)); // 2u
  const s = tf.sigmoid(twoU); // σ(2u)
  return { y: tf.mul(x, s), x2, s };
}

/**
 * The gradient of {@link geluForwardChain} in closed form, from its saved
 * x², s and y = x·s:
 *   d/dx = s + x·s·(1 − s)·2u' = s + (y − y·s)·2u',  2u' = 2√(2/π)·(1 + 3·0.044715·x²).
 * Seven element-wise kernels.
 */
export function geluBackwardChain(
  dy: tf.Tensor,
  x2: tf.Tensor,
  s: tf.Tensor,
  y: tf.Tensor,
): tf.Tensor {
  const twoDu = tf.add(tf.mul(x2, 2 * SQRT_2_OVER_PI * 3 * CUBIC), 2 * SQRT_2_OVER_PI); // 2u'
  const slope = tf.add(s, tf.mul(tf.sub(y, tf.mul(y, s)), twoDu));
  return tf.mul(dy, slope);
}

/** Inputs of {@link GELU}. */
export interface GeluInputs {
  /** Any shape, float32. */
  x: tf.Tensor;
}

/** Inputs of {@link GELU_GRAD}. */
export interface GeluGradInputs {
  /** The upstream gradient, x's shape. */
  dy: tf.Tensor;
  /** GELU's input. */
  x: tf.Tensor;
}

/** GELU (tanh approximation), element-wise: outputs [y], x's shape. */
export const GELU = defineKernelContract<GeluInputs, NoAttrs, [tf.Tensor]>({
  name: 'Gelu',
  inputNames: ['x'],
  outputNames: ['y'],
  tolerance: 1e-5,
  reference: ({ x }) => [geluForwardChain(x).y],
});

/** The gradient of {@link GELU}: outputs [dx] = dy·GELU'(x). */
export const GELU_GRAD = defineKernelContract<GeluGradInputs, NoAttrs, [tf.Tensor]>({
  name: 'GeluGrad',
  inputNames: ['dy', 'x'],
  outputNames: ['dx'],
  tolerance: 1e-5,
  reference({ dy, x }) {
    const { y, x2, s } = geluForwardChain(x);
    return [geluBackwardChain(dy, x2, s, y)];
  },
});
