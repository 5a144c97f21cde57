import {
  dispatch,
  LAYER_NORM,
  LAYER_NORM_GRAD,
  layerNormBackwardChain,
  layerNormForwardChain,
  runKernel,
  useKernel,
} from '@gpt2/backends/kernels';
import * as tf from '@tensorflow/tfjs-core';

type LayerNormOp = (...inputs: tf.Tensor[]) => tf.Tensor;

/**
 * The op chain with its closed-form gradient (see `layerNormForwardChain` in
 * @gpt2/backends/kernels): two row means and two reductions over rows, where
 * autodiff through the moments builds a long chain of broadcasts.
 */
function chain(epsilon: number, withBias: boolean): LayerNormOp {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.at(-1) as tf.GradSaveFunc;
    const [x, gamma, beta] = args as tf.Tensor[];
    const { y, rstd, xhat } = layerNormForwardChain(
      x!,
      gamma!,
      withBias ? beta : undefined,
      epsilon,
    );
    save([xhat, rstd, gamma!]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, r, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        return layerNormBackwardChain(dy, xh, r, g, withBias);
      },
    };
  }) as LayerNormOp;
}

/** On the backend's `LayerNorm` kernel; the gradient on `LayerNormGrad`, or that contract's chain. */
function kernel(epsilon: number, withBias: boolean): LayerNormOp {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.at(-1) as tf.GradSaveFunc;
    const [x, gamma, beta] = args as tf.Tensor[];
    const [y, mean, rstd] = runKernel(
      LAYER_NORM,
      { x: x!, gamma: gamma!, ...(withBias ? { beta } : {}) },
      { epsilon },
    );
    save([x!, gamma!, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xx, g, m, r] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const [dx, dGamma, dBeta] = dispatch(
          LAYER_NORM_GRAD,
          { dy, x: xx, gamma: g, mean: m, rstd: r },
          {},
        );
        return withBias ? [dx, dGamma, dBeta] : [dx, dGamma];
      },
    };
  }) as LayerNormOp;
}

/**
 * LayerNorm over the last axis (Ba et al. 2016), y = x̂·γ + β with
 * x̂ = (x − mean)/√(var + ε). Runs the active backend's `LayerNorm` kernel when
 * it has one (@gpt2/backends/kernels' contract), the op chain otherwise;
 * either way with a closed-form gradient.
 */
export function layerNorm(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor | undefined,
  epsilon: number,
): tf.Tensor {
  const op = (useKernel(LAYER_NORM) ? kernel : chain)(epsilon, bias !== undefined);
  return bias ? op(x, weight, bias) : op(x, weight);
}
