import * as tf from '@tensorflow/tfjs-core';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * GELU, tanh approximation (Hendrycks & Gimpel 2016; HF `gelu_new`, the
 * activation GPT-2 was trained with):
 *   0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
 * computed as x·sigmoid(2·√(2/π)·(x + 0.044715·x³)), which is the same
 * function (0.5·(1 + tanh z) = sigmoid(2z)); wasm's Tanh kernel is scalar and
 * ~15× slower than its Sigmoid.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const cube = tf.mul(tf.mul(x, x), x);
    const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), 2 * SQRT_2_OVER_PI);
    return tf.mul(x, tf.sigmoid(inner)) as T;
  });
}
