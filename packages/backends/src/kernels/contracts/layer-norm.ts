import * as tf from '@tensorflow/tfjs-core';
import { defineKernelContract, type NoAttrs } from './contract.js';

/**
 * LayerNorm over the last axis (Ba et al. 2016): y = x̂·γ + β, with
 * x̂ = (x − mean)·rstd and rstd = 1/√(var + ε). The moments are taken by hand:
 * `tf.moments` casts, reshapes and subtracts the mean twice, and x − mean is
 * needed for x̂ anyway. Returns y, the row mean and rstd ([..., 1]) and x̂.
 */
export function layerNormForwardChain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor | undefined,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor; rstd: tf.Tensor; xhat: tf.Tensor } {
  const mean = tf.mean(x, -1, true); // [..., 1]
  const centred = tf.sub(x, mean); // [..., C]
  const variance = tf.mean(tf.mul(centred, centred), -1, true); // [..., 1]
  const rstd = tf.rsqrt(tf.add(variance, epsilon)); // [..., 1]
  const xhat = tf.mul(centred, rstd); // [..., C]
  const scaled = tf.mul(xhat, gamma);
  return { y: beta ? tf.add(scaled, beta) : scaled, mean, rstd, xhat };
}

/**
 * The gradient of {@link layerNormForwardChain} in closed form: two row means
 * and two reductions over rows, where autodiff through the moments builds a
 * long chain of broadcasts:
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  g = dy·γ,  r = rstd
 *   dγ = Σ_rows dy·x̂,  dβ = Σ_rows dy
 * Returns [dx, dγ] and, with `withBias`, dβ.
 */
export function layerNormBackwardChain(
  dy: tf.Tensor,
  xhat: tf.Tensor,
  rstd: tf.Tensor,
  gamma: tf.Tensor,
  withBias: boolean,
): tf.Tensor[] {
  const leading = dy.shape.slice(0, -1).map((_, i) => i); // the axes γ and β broadcast over
  const dxhat = tf.mul(dy, gamma); // [..., C]
  const dx = tf.mul(
    rstd,
    tf.sub(
      tf.sub(dxhat, tf.mean(dxhat, -1, true)),
      tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), -1, true)),
    ),
  );
  const dGamma = tf.sum(tf.mul(dy, xhat), leading);
  return withBias ? [dx, dGamma, tf.sum(dy, leading)] : [dx, dGamma];
}

/** Inputs of {@link LAYER_NORM}. */
export interface LayerNormInputs {
  /** [..., C] float32. */
  x: tf.Tensor;
  /** γ [C]. */
  gamma: tf.Tensor;
  /** β [C]; absent for a LayerNorm without bias. */
  beta?: tf.Tensor;
}

/** Attributes of {@link LAYER_NORM}. */
export interface LayerNormAttrs {
  /** Added to the variance (GPT-2: 1e-5). */
  epsilon: number;
}

/** Inputs of {@link LAYER_NORM_GRAD}. */
export interface LayerNormGradInputs {
  /** The upstream gradient, [..., C]. */
  dy: tf.Tensor;
  /** The forward input, [..., C]. */
  x: tf.Tensor;
  /** γ [C]. */
  gamma: tf.Tensor;
  /** The forward pass's row means, [..., 1]. */
  mean: tf.Tensor;
  /** The forward pass's 1/√(var + ε), [..., 1]. */
  rstd: tf.Tensor;
}

/**
 * LayerNorm over the last axis: outputs [y [..., C], mean [..., 1],
 * rstd [..., 1]]; mean and rstd are what {@link LAYER_NORM_GRAD} needs.
 */
export const LAYER_NORM = defineKernelContract<
  LayerNormInputs,
  LayerNormAttrs,
  [tf.Tensor, tf.Tensor, tf.Tensor]
>({
  name: 'LayerNorm',
  inputNames: ['x', 'gamma', 'beta?'],
  outputNames: ['y', 'mean', 'rstd'],
  tolerance: 1e-5,
  reference({ x, gamma, beta }, { epsilon }) {
    const { y, mean, rstd } = layerNormForwardChain(x, gamma, beta, epsilon);
    return [y, mean, rstd];
  },
});

/**
 * The gradient of {@link LAYER_NORM}: outputs [dx [..., C], dγ [C], dβ [C]]
 * (dβ = Σ_rows dy, which a LayerNorm without bias ignores).
 */
export const LAYER_NORM_GRAD = defineKernelContract<
  LayerNormGradInputs,
  NoAttrs,
  [tf.Tensor, tf.Tensor, tf.Tensor]
>({
  name: 'LayerNormGrad',
  inputNames: ['dy', 'x', 'gamma', 'mean', 'rstd'],
  outputNames: ['dx', 'dgamma', 'dbeta'],
  tolerance: 1e-5,
  reference({ dy, x, gamma, mean, rstd }) {
    const xhat = tf.mul(tf.sub(x, mean), rstd);
    const [dx, dGamma, dBeta] = layerNormBackwardChain(dy, xhat, rstd, gamma, true);
    return [dx!, dGamma!, dBeta!];
  },
});
