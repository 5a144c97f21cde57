import {
  crossEntropyRowsChain,
  dispatch,
  runKernel,
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
  type SoftmaxCrossEntropyAttrs,
  useKernel,
} from '@gpt2/backends/kernels';
import * as tf from '@tensorflow/tfjs-core';

/**
 * On the backend's `SoftmaxCrossEntropy` kernel (per-row loss and
 * log-sum-exp); the gradient on its `SoftmaxCrossEntropyGrad` kernel, or that
 * contract's chain. The targets are closed over: they get no gradient.
 */
function crossEntropyKernel(targets: tf.Tensor1D, attrs: SoftmaxCrossEntropyAttrs) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [logits, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const [loss, logsumexp] = runKernel(SOFTMAX_CROSS_ENTROPY, { logits, targets }, attrs);
    save([logits, targets, logsumexp]);
    return {
      value: loss,
      gradFunc: (dloss: tf.Tensor, saved: tf.Tensor[]) => {
        const [l, t, lse] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        return dispatch(
          SOFTMAX_CROSS_ENTROPY_GRAD,
          { dloss: dloss as tf.Tensor1D, logits: l, targets: t, logsumexp: lse },
          attrs,
        );
      },
    };
  }) as (logits: tf.Tensor2D) => tf.Tensor1D;
}

/**
 * Per-row softmax cross-entropy of `logits` [N, V] against int32 `targets`
 * [N]: losses [N] (0 where the target is `ignoreIndex`) and row weights [N]
 * (1 kept, 0 ignored). Runs the active backend's `SoftmaxCrossEntropy` kernel
 * when it has one (@gpt2/backends/kernels' contract), the op chain otherwise.
 * Inputs are not validated here (see `crossEntropy`).
 */
export function softmaxCrossEntropyRows(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  attrs: SoftmaxCrossEntropyAttrs,
): { loss: tf.Tensor1D; weights: tf.Tensor1D } {
  if (useKernel(SOFTMAX_CROSS_ENTROPY)) {
    const loss = crossEntropyKernel(targets, attrs)(logits);
    const weights = tf.cast(tf.notEqual(targets, attrs.ignoreIndex), 'float32') as tf.Tensor1D;
    return { loss, weights };
  }
  return crossEntropyRowsChain(logits, targets, attrs.ignoreIndex, attrs.labelSmoothing);
}
