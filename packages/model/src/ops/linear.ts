import * as tf from '@tensorflow/tfjs-core';

/**
 * Matrix products with hand-written gradients that avoid transposed matMuls
 * where they are slow. On wasm, only an untransposed 2-D matMul takes
 * XNNPACK's fast path; a `transposeA`/`transposeB` matMul (which is what
 * tfjs's built-in gradient uses for both dx and dW) runs a scalar loop about
 * 20× slower (docs/platform.md). Materialising the transpose costs one copy,
 * O(n²), against an O(n³) product. GPU backends transpose for free inside the
 * kernel, so they keep the flags.
 */
function transposeIsSlow(): boolean {
  return tf.getBackend() === 'wasm';
}

/** a @ b^T, via a copied transpose where transposed matMuls are slow. */
function matMulBT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return transposeIsSlow() ? tf.matMul(a, tf.transpose(b)) : tf.matMul(a, b, false, true);
}

/** a^T @ b, via a copied transpose where transposed matMuls are slow. */
function matMulAT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return transposeIsSlow() ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, b, true, false);
}

/**
 * x @ W for a weight in Conv1D layout W [in, out] (no bias; add it after).
 * Gradients: dx = dy @ W^T, dW = x^T @ dy.
 */
export const matMulWeight = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, w]);
  const value: tf.Tensor = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D); // [N, out]
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [matMulBT(dy as tf.Tensor2D, ws), matMulAT(xs, dy as tf.Tensor2D)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * x @ E^T for a table stored [rows, in], such as the tied token embedding
 * (logits = x @ wte^T). Gradients: dx = dy @ E, dE = dy^T @ x.
 */
export const matMulTransposedWeight = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, e, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, e]);
  const value: tf.Tensor = matMulBT(x as tf.Tensor2D, e as tf.Tensor2D); // [N, rows]
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, es] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, es), matMulAT(dy as tf.Tensor2D, xs)];
    },
  };
}) as (x: tf.Tensor2D, e: tf.Tensor2D) => tf.Tensor2D;
