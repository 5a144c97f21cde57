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
  const ignoreIndex = options.ignoreIndex ?? DEFAULT_IGNORE_INDEX;
  const epsilon = options.labelSmoothing ?? 0;
  if (!Number.isInteger(ignoreIndex)) {
    throw new RangeError(`ignoreIndex must be an integer, got ${ignoreIndex}.`);
  }
  if (typeof epsilon !== 'number' || !(epsilon >= 0 && epsilon <= 1)) {
    throw new RangeError(`labelSmoothing must be in [0, 1], got ${epsilon}.`);
  }
  const [B, T, V] = logits.shape;
  return tf.tidy(() => {
    const y = toTokenTensor(targets, { input: 'targets', vocabSize: V, allowed: ignoreIndex });
    if (y.shape[0] !== B || y.shape[1] !== T) {
      throw new RangeError(
        `targets have shape [${y.shape}], logits [${logits.shape}]: need [${B}, ${T}].`,
      );
    }
    const N = B * T;
    const { loss, weights } = softmaxCrossEntropyRows(
      tf.reshape(logits, [N, V]) as tf.Tensor2D,
      tf.reshape(y, [N]) as tf.Tensor1D,
      { ignoreIndex, labelSmoothing: epsilon },
    ); // [N] each
    const count = tf.maximum(tf.sum(weights), 1);
    return tf.div(tf.sum(loss), count) as tf.Scalar;
  });
}
