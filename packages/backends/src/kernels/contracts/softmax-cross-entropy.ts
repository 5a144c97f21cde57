import * as tf from '@tensorflow/tfjs-core';
import { defineKernelContract } from './contract.js';

/**
 * Per-row cross-entropy of `logits` [N, V] against int32 `targets` [N], as
 * PyTorch's `F.cross_entropy(..., reduction='none', ignore_index,
 * label_smoothing=ε)`: (1 − ε)·nll + ε·mean over the vocabulary of −log p.
 * Rows whose target is `ignoreIndex` get 0. Returns the losses [N] and the
 * row weights [N] (1 kept, 0 ignored).
 *
 * Uses logSoftmax, never log(softmax). The target log-probabilities are
 * picked with `gather` on the flattened [N·V] log-probabilities at
 * row·V + target, rather than a one-hot product: gather's gradient (a segment
 * sum) works on every backend and costs O(N), and wasm's OneHot kernel is
 * broken for float32.
 */
export function crossEntropyRowsChain(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  ignoreIndex: number,
  labelSmoothing: number,
): { loss: tf.Tensor1D; weights: tf.Tensor1D } {
  const [N, V] = logits.shape;
  const logp = tf.logSoftmax(logits); // [N, V]
  const keep = tf.notEqual(targets, ignoreIndex); // [N] bool
  const safeTargets = tf.where(keep, targets, tf.zerosLike(targets)); // [N]
  const rowStarts = tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')); // [N]
  const picked = tf.gather(tf.reshape(logp, [N * V]), tf.add(rowStarts, safeTargets)); // [N]
  let perRow = tf.neg(picked); // [N] nll
  if (labelSmoothing > 0) {
    const smooth = tf.neg(tf.mean(logp, -1)); // [N] mean over the vocabulary of −log p
    perRow = tf.add(tf.mul(perRow, 1 - labelSmoothing), tf.mul(smooth, labelSmoothing)); // [N]
  }
  const weights = tf.cast(keep, 'float32') as tf.Tensor1D; // [N]
  return { loss: tf.mul(perRow, weights) as tf.Tensor1D, weights };
}

/** Inputs of {@link SOFTMAX_CROSS_ENTROPY}. */
export interface SoftmaxCrossEntropyInputs {
  /** [N, V] float32. */
  logits: tf.Tensor2D;
  /** [N] int32, each in [0, V) or equal to `ignoreIndex`. */
  targets: tf.Tensor1D;
}

/** Attributes of {@link SOFTMAX_CROSS_ENTROPY} and {@link SOFTMAX_CROSS_ENTROPY_GRAD}. */
export interface SoftmaxCrossEntropyAttrs {
  /** Rows with this target get loss 0 and gradient 0. */
  ignoreIndex: number;
  /** ε in [0, 1]: the loss is (1 − ε)·nll + ε·mean over the vocabulary of −log p. */
  labelSmoothing: number;
}

/** Inputs of {@link SOFTMAX_CROSS_ENTROPY_GRAD}. */
export interface SoftmaxCrossEntropyGradInputs extends SoftmaxCrossEntropyInputs {
  /** The upstream gradient of the per-row losses, [N]. */
  dloss: tf.Tensor1D;
  /** The forward pass's row log-sum-exp of the logits, [N]. */
  logsumexp: tf.Tensor1D;
}

/**
 * Softmax cross-entropy over rows: outputs [loss [N], logsumexp [N]], the
 * loss 0 on ignored rows. The log-sum-exp lets the gradient rebuild
 * softmax(logits) without a [N, V] tensor kept from the forward pass.
 */
export const SOFTMAX_CROSS_ENTROPY = defineKernelContract<
  SoftmaxCrossEntropyInputs,
  SoftmaxCrossEntropyAttrs,
  [tf.Tensor1D, tf.Tensor1D]
>({
  name: 'SoftmaxCrossEntropy',
  inputNames: ['logits', 'targets'],
  outputNames: ['loss', 'logsumexp'],
  tolerance: 1e-5,
  reference({ logits, targets }, { ignoreIndex, labelSmoothing }) {
    const { loss } = crossEntropyRowsChain(logits, targets, ignoreIndex, labelSmoothing);
    return [loss, tf.logSumExp(logits, -1) as tf.Tensor1D];
  },
});

/**
 * The gradient of {@link SOFTMAX_CROSS_ENTROPY}: outputs [dlogits [N, V]] =
 * dloss·(softmax(logits) − (1 − ε)·onehot(target) − ε/V) on kept rows, 0 on
 * ignored ones.
 */
export const SOFTMAX_CROSS_ENTROPY_GRAD = defineKernelContract<
  SoftmaxCrossEntropyGradInputs,
  SoftmaxCrossEntropyAttrs,
  [tf.Tensor2D]
>({
  name: 'SoftmaxCrossEntropyGrad',
  inputNames: ['dloss', 'logits', 'targets', 'logsumexp'],
  outputNames: ['dlogits'],
  tolerance: 1e-5,
  reference({ dloss, logits, targets, logsumexp }, { ignoreIndex, labelSmoothing }) {
    const V = logits.shape[1];
    const p = tf.exp(tf.sub(logits, tf.expandDims(logsumexp, 1))); // [N, V]
    // The one-hot by comparison: wasm's OneHot kernel writes int32 bits for float32.
    const onehot = tf.cast(
      tf.equal(tf.expandDims(targets, 1), tf.range(0, V, 1, 'int32')),
      'float32',
    ); // [N, V]
    const target = tf.add(tf.mul(onehot, 1 - labelSmoothing), labelSmoothing / V); // [N, V]
    const rowScale = tf.mul(dloss, tf.cast(tf.notEqual(targets, ignoreIndex), 'float32')); // [N]
    return [tf.mul(tf.sub(p, target), tf.expandDims(rowScale, 1)) as tf.Tensor2D];
  },
});
