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
 * element-wise kernels instead of autodiff through every node above. With
 * s = σ(2u) and y = x·s (the output, saved with x² from the forward pass):
 *   d/dx = s + x·s·(1 − s)·2u' = s + (y − y·s)·2u',  2u' = 2√(2/π)·(1 + 3·0.044715·x²).
 * Each element-wise kernel is a pass over a [B·T, 4C] tensor, so the forward
 * takes six and the backward seven.
 */
export const gelu: <T extends tf.Tensor>(x: T) => T = tf.customGrad(
  (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    // customGrad runs this in a tidy: only the value and the saved tensors stay.
    const x2 = tf.mul(x, x);
    const twoU = tf.mul(x, tf.add(tf.mul(x2, 2 * SQRT_2_OVER_PI * CUBIC), 2 * SQRT_2_OVER_PI)); // 2u
    const s = tf.sigmoid(twoU); // σ(2u)
    const y = tf.mul(x, s);
    save([x2, s, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xx, ss, yy] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const twoDu = tf.add(tf.mul(xx, 2 * SQRT_2_OVER_PI * 3 * CUBIC), 2 * SQRT_2_OVER_PI); // 2u'
        const slope = tf.add(ss, tf.mul(tf.sub(yy, tf.mul(yy, ss)), twoDu));
        return [tf.mul(dy, slope)];
      },
    };
  },
) as <T extends tf.Tensor>(x: T) => T;
