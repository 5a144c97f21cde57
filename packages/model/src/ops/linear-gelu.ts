import {
  dispatch,
  GELU_GRAD,
  MATMUL_BIAS_GELU,
  runKernel,
  useKernel,
} from '@gpt2/backends/kernels';
import * as tf from '@tensorflow/tfjs-core';
import { gelu } from './gelu.js';

type LinearGeluOp = (...inputs: tf.Tensor[]) => tf.Tensor2D;

/**
 * On the backend's `MatMulBiasGelu` kernel, which returns the activation and
 * its input h = x·W + b. The gradient keeps only h (besides x and W, which
 * any matMul keeps): dh = GELU_GRAD(dy, h) on its kernel or chain, then
 * dx = dh·Wᵀ, dW = xᵀ·dh, db = Σ_rows dh.
 */
function kernel(withBias: boolean): LinearGeluOp {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.at(-1) as tf.GradSaveFunc;
    const [x, weight, bias] = args as tf.Tensor2D[];
    const [y, preactivation] = runKernel(
      MATMUL_BIAS_GELU,
      { x: x!, weight: weight!, ...(withBias ? { bias: bias as unknown as tf.Tensor1D } : {}) },
      {},
    );
    save([x!, weight!, preactivation]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xx, w, h] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const [dh] = dispatch(GELU_GRAD, { dy, x: h }, {}) as [tf.Tensor2D]; // [N, M]
        const dx = tf.matMul(dh, w, false, true); // [N, K]
        const dWeight = tf.matMul(xx, dh, true, false); // [K, M]
        return withBias ? [dx, dWeight, tf.sum(dh, 0)] : [dx, dWeight];
      },
    };
  }) as LinearGeluOp;
}

/**
 * GELU(x·W + b) for x [N, K], W [K, M] (HF Conv1D layout), b [M]: the first
 * half of GPT-2's MLP. Runs the active backend's `MatMulBiasGelu` kernel when
 * it has one (@gpt2/backends/kernels' contract): one kernel, and only h kept
 * for the gradient. Otherwise the seed's matMul, bias add and {@link gelu}.
 */
export function linearGelu(
  x: tf.Tensor2D,
  weight: tf.Tensor2D,
  bias: tf.Tensor1D | undefined,
): tf.Tensor2D {
  if (useKernel(MATMUL_BIAS_GELU)) {
    const op = kernel(bias !== undefined);
    return bias ? op(x, weight, bias) : op(x, weight);
  }
  const product = tf.matMul(x, weight) as tf.Tensor2D; // [N, M]
  return gelu(bias ? (tf.add(product, bias) as tf.Tensor2D) : product);
}
