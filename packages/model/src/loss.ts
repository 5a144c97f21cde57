import type { SoftmaxCrossEntropyAttrs } from '@gpt2/backends/kernels';
import * as tf from '@tensorflow/tfjs-core';
import { type TokenIds, toTokenTensor } from './inputs.js';
import { softmaxCrossEntropyRows } from './ops/softmax-cross-entropy.js';

/** Options for {@link crossEntropy} (and `GPT2Model.loss`). */
export interface CrossEntropyOptions {
  /** Targets equal to this are left out of the mean. Default: {@link DEFAULT_IGNORE_INDEX}. */
  ignoreIndex?: number;
  /**
   * Label smoothing ε in [0, 1], as PyTorch's `F.cross_entropy(label_smoothing=ε)`:
   * (1 − ε)·nll + ε·mean over the vocabulary of −log p. Default: 0.
   */
  labelSmoothing?: number;
}

/** Default {@link CrossEntropyOptions.ignoreIndex}: -1 (PyTorch uses -100; nanoGPT uses -1). */
export const DEFAULT_IGNORE_INDEX = -1;

/**
 * Mean cross-entropy of `logits` [B, T, V] against integer `targets` [B, T],
 * over the targets that are not `ignoreIndex` (0 when all are ignored, where
 * PyTorch returns NaN). The per-row losses come from the backend's
 * `SoftmaxCrossEntropy` kernel when it has one, else from logSoftmax and a
 * gather (see `crossEntropyRowsChain` in @gpt2/backends/kernels).
 *
 * @throws TokenIdError for targets outside [0, V) other than `ignoreIndex`;
 *   RangeError for a shape mismatch or a bad option.
 */
export function crossEntropy(
  logits: tf.Tensor3D,
  targets: TokenIds,
  options: CrossEntropyOptions = {},
): tf.Scalar {
  const attrs = crossEntropyAttrs(options);
  const [B, T, V] = logits.shape;
  return tf.tidy(() => {
    const y = targetRows(targets, [B, T], V, attrs.ignoreIndex);
    const { loss, weights } = softmaxCrossEntropyRows(
      tf.reshape(logits, [B * T, V]) as tf.Tensor2D,
      y,
      attrs,
    ); // [N] each
    return meanOverKept(loss, weights);
  });
}

/**
 * The validated options of a cross-entropy, as the kernel contract's attrs.
 * @throws RangeError for a bad option.
 */
export function crossEntropyAttrs(options: CrossEntropyOptions): SoftmaxCrossEntropyAttrs {
  const ignoreIndex = options.ignoreIndex ?? DEFAULT_IGNORE_INDEX;
  const labelSmoothing = options.labelSmoothing ?? 0;
  if (!Number.isInteger(ignoreIndex)) {
    throw new RangeError(`ignoreIndex must be an integer, got ${ignoreIndex}.`);
  }
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new RangeError(`labelSmoothing must be in [0, 1], got ${labelSmoothing}.`);
  }
  return { ignoreIndex, labelSmoothing };
}

/**
 * Targets [B, T] checked against the logits' batch shape and vocabulary, as
 * int32 rows [B·T].
 * @throws TokenIdError for a target outside [0, V) other than `ignoreIndex`;
 *   RangeError for a shape mismatch.
 */
export function targetRows(
  targets: TokenIds,
  [B, T]: [number, number],
  V: number,
  ignoreIndex: number,
): tf.Tensor1D {
  const y = toTokenTensor(targets, { input: 'targets', vocabSize: V, allowed: ignoreIndex });
  if (y.shape[0] !== B || y.shape[1] !== T) {
    throw new RangeError(
      `targets have shape [${y.shape}], logits [${B},${T},${V}]: need [${B}, ${T}].`,
    );
  }
  return tf.reshape(y, [B * T]) as tf.Tensor1D;
}

/** Σ loss / max(1, Σ weights): the mean over the rows that are kept. */
export function meanOverKept(loss: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  return tf.div(tf.sum(loss), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
}
