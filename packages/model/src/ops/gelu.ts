import * as tf from '@tensorflow/tfjs-core';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;

/**
 * GELU, tanh approximation (Hendrycks & Gimpel 2016; HF `gelu_new`, the
 * activation GPT-2 was trained with):
 *   0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
 * computed as x·σ(2u), u = √(2/π)·(x + 0.044715·x³), which is the same
 * function (0.5·(1 + tanh u) = σ(2u)); wasm's Tanh kernel is scalar and ~15×
 * slower than its Sigmoid.
 *
 * A fused op with its own gradient, so that the backward pass is a handful of
 * element-wise kernels instead of autodiff through every node above:
 *   d/dx = s + x·s·(1 − s)·2u',  s = σ(2u),  u' = √(2/π)·(1 + 3·0.044715·x²).
 */
export const gelu: <T extends tf.Tensor>(x: T) => T = tf.customGrad(
  (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const s = tf.tidy(() => {
      const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), CUBIC)), 2 * SQRT_2_OVER_PI);
      return tf.sigmoid(inner); // σ(2u)
    });
    save([x, s]);
    return {
      value: tf.mul(x, s),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ss] = saved as [tf.Tensor, tf.Tensor];
        const x2 = tf.mul(xs, xs);
        const du = tf.add(tf.mul(x2, 2 * SQRT_2_OVER_PI * 3 * CUBIC), 2 * SQRT_2_OVER_PI); // 2u'
        const slope = tf.add(ss, tf.mul(tf.mul(tf.mul(xs, ss), tf.sub(1, ss)), du));
        return [tf.mul(dy, slope)];
      },
    };
  },
) as <T extends tf.Tensor>(x: T) => T;
