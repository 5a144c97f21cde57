import * as tf from '@tensorflow/tfjs-core';

/**
 * LayerNorm over the last axis (Ba et al. 2016), y = x̂·γ + β with
 * x̂ = (x − mean)/√(var + ε), as a fused op with its own gradient. tfjs's
 * autodiff through `moments` builds a long chain of broadcasts and reductions;
 * the closed form below needs two row means and two reductions over rows:
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  g = dy·γ,  r = 1/√(var + ε)
 *   dγ = Σ_rows dy·x̂,  dβ = Σ_rows dy
 */
export function layerNorm(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor | undefined,
  epsilon: number,
): tf.Tensor {
  const leading = x.shape.slice(0, -1).map((_, i) => i); // the axes γ and β broadcast over
  const normalise = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.at(-1) as tf.GradSaveFunc;
    const [input, gamma, beta] = args as tf.Tensor[];
    // The moments by hand: tf.moments casts, reshapes and subtracts the mean
    // twice; x − mean is needed for x̂ anyway.
    const centred = tf.sub(input!, tf.mean(input!, -1, true)); // [..., C]
    const variance = tf.mean(tf.mul(centred, centred), -1, true); // [..., 1]
    const rstd = tf.rsqrt(tf.add(variance, epsilon)); // [..., 1]
    const xhat = tf.mul(centred, rstd); // [..., C]
    save([xhat, rstd, gamma!]);
    const scaled = tf.mul(xhat, gamma!);
    return {
      value: beta ? tf.add(scaled, beta) : scaled,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, r, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dxhat = tf.mul(dy, g); // [..., C]
        const dx = tf.mul(
          r,
          tf.sub(
            tf.sub(dxhat, tf.mean(dxhat, -1, true)),
            tf.mul(xh, tf.mean(tf.mul(dxhat, xh), -1, true)),
          ),
        );
        const dGamma = tf.sum(tf.mul(dy, xh), leading);
        return beta ? [dx, dGamma, tf.sum(dy, leading)] : [dx, dGamma];
      },
    };
  });
  return bias
    ? (normalise as (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor)(x, weight, bias)
    : (normalise as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor)(x, weight);
}
