import {
  dispatch,
  GELU,
  GELU_GRAD,
  geluBackwardChain,
  geluForwardChain,
  runKernel,
  useKernel,
} from '@gpt2/backends/kernels';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The op chain with its own gradient: six element-wise kernels forward,
 * seven backward (it saves x², σ(2u) and y), instead of autodiff through
 * every node (see `geluForwardChain` in @gpt2/backends/kernels for the math).
 */
const geluChain = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  // customGrad runs this in a tidy: only the value and the saved tensors stay.
  const { y, x2, s } = geluForwardChain(x);
  save([x2, s, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xx, ss, yy] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      return [geluBackwardChain(dy, xx, ss, yy)];
    },
  };
});

/** On the backend's `Gelu` kernel; the gradient on its `GeluGrad`, or that contract's chain. */
const geluKernel = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const [y] = runKernel(GELU, { x }, {});
  save([x]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => dispatch(GELU_GRAD, { dy, x: saved[0]! }, {}),
  };
});

/**
 * GELU, tanh approximation (HF `gelu_new`, the activation GPT-2 was trained
 * with), element-wise. Runs the active backend's `Gelu` kernel when it has
 * one (@gpt2/backends/kernels' contract), the op chain otherwise.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return (useKernel(GELU) ? geluKernel(x) : geluChain(x)) as T;
}
