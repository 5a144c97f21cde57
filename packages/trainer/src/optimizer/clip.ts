import * as tf from '@tensorflow/tfjs-core';

/**
 * The global L2 norm of a set of gradients: √(Σ g²) over every element, the
 * value PyTorch's `clip_grad_norm_` computes (as a norm of per-tensor norms).
 * Squares and sums directly: `tf.norm` goes through `abs` and `pow`, twice as
 * many kernels per tensor.
 */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  return tf.tidy(() => {
    const sums = [...grads].map((g) => tf.sum(tf.square(g)));
    if (sums.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.addN(sums)) as tf.Scalar;
  });
}

/**
 * The factor that scales gradients of global norm `norm` down to at most
 * `maxNorm` (`torch.nn.utils.clip_grad_norm_`: `maxNorm / (norm + 1e-6)`,
 * clamped to 1). Returns 1 when `maxNorm` is 0 or not finite (no clipping).
 */
export function clipCoefficient(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return 1;
  // fround: torch computes the coefficient as a float32 tensor.
  const coefficient = Math.fround(maxNorm / Math.fround(norm + 1e-6));
  return Math.min(coefficient, 1);
}
