import {
  CAUSAL_ATTENTION,
  CAUSAL_ATTENTION_GRAD,
  causalAttentionChain,
  dispatch,
  runKernel,
  useKernel,
} from '@gpt2/backends/kernels';
import * as tf from '@tensorflow/tfjs-core';

/** Options for {@link causalSelfAttention}. */
export interface CausalSelfAttentionOptions {
  /** Multiplies q·kᵀ (1/√D). */
  scale: number;
  /** The additive causal mask [Tq, Tk] for the op chain; absent when Tq = 1. */
  mask: tf.Tensor2D | undefined;
  /** Dropout on the attention probabilities, when training with `attnPdrop` > 0. */
  dropout?: (probabilities: tf.Tensor4D) => tf.Tensor4D;
}

/**
 * On the backend's `CausalAttention` kernel (y and the row log-sum-exp); the
 * gradient on its `CausalAttentionGrad` kernel, or that contract's chain.
 */
function attentionKernel(scale: number) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.at(-1) as tf.GradSaveFunc;
    const [q, k, v] = args as tf.Tensor4D[];
    const [y, logsumexp] = runKernel(CAUSAL_ATTENTION, { q: q!, k: k!, v: v! }, { scale });
    save([q!, k!, v!, y, logsumexp]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, sy, lse] = saved as [
          tf.Tensor4D,
          tf.Tensor4D,
          tf.Tensor4D,
          tf.Tensor4D,
          tf.Tensor3D,
        ];
        return dispatch(
          CAUSAL_ATTENTION_GRAD,
          { dy: dy as tf.Tensor4D, q: sq, k: sk, v: sv, y: sy, logsumexp: lse },
          { scale },
        );
      },
    };
  }) as (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D) => tf.Tensor4D;
}

/**
 * Causal self-attention of queries q [B, H, Tq, D] (the last Tq positions)
 * over keys and values [B, H, Tk, D]: softmax(scale·q·kᵀ + mask)·v. Runs the
 * active backend's `CausalAttention` kernel when it has one
 * (@gpt2/backends/kernels' contract) and no dropout applies; otherwise the op
 * chain with the mask and dropout, differentiated by autodiff.
 */
export function causalSelfAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  options: CausalSelfAttentionOptions,
): tf.Tensor4D {
  if (!options.dropout && useKernel(CAUSAL_ATTENTION)) {
    return attentionKernel(options.scale)(q, k, v);
  }
  return causalAttentionChain(q, k, v, options.scale, {
    ...(options.mask ? { mask: options.mask } : {}),
    ...(options.dropout ? { dropout: options.dropout } : {}),
  }).y;
}
