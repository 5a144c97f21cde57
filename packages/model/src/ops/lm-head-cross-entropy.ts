import {
  dispatch,
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
  type SoftmaxCrossEntropyAttrs,
} from '@gpt2/backends/kernels';
import * as tf from '@tensorflow/tfjs-core';

/** The row ranges [start, end) of `rows` rows in chunks of `chunkRows`. */
function chunks(rows: number, chunkRows: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = 0; start < rows; start += chunkRows) {
    out.push([start, Math.min(rows, start + chunkRows)]);
  }
  return out;
}

/**
 * Per-row cross-entropy of the logits x·headᵀ, for x [N, C] (the final
 * LayerNorm's output), the output head [V, C] (the tied token embedding) and
 * int32 targets [N], computed `chunkRows` rows at a time: the [N, V] logits
 * and their gradient never exist whole. For GPT-2's 50,257-token vocabulary
 * they are the largest tensors of a training step (823 MB at 8 × 512 tokens,
 * several times over in the plain path's softmax and backward).
 *
 * Forward, per chunk: logits = x_c·headᵀ, then the per-row loss and
 * log-sum-exp through the `SOFTMAX_CROSS_ENTROPY` contract (the backend's
 * kernel, or its reference chain). Only x, the head and the log-sum-exp [N]
 * are kept. Backward, per chunk: the logits are computed again,
 * dlogits = `SOFTMAX_CROSS_ENTROPY_GRAD`, dx_c = dlogits·head and
 * dhead += dlogitsᵀ·x_c. Returns the losses [N] (0 where the target is
 * `ignoreIndex`) and the row weights [N] (1 kept, 0 ignored). Inputs are not
 * validated here (see `crossEntropy`).
 */
export function lmHeadCrossEntropyRows(
  x: tf.Tensor2D,
  head: tf.Tensor2D,
  targets: tf.Tensor1D,
  attrs: SoftmaxCrossEntropyAttrs,
  chunkRows: number,
): { loss: tf.Tensor1D; weights: tf.Tensor1D } {
  const [N, C] = x.shape;
  const ranges = chunks(N, Math.max(1, Math.floor(chunkRows)));
  const rowsOf = (t: tf.Tensor2D, [start, end]: [number, number]) =>
    tf.slice(t, [start, 0], [end - start, C]) as tf.Tensor2D; // [n, C]
  const targetsOf = ([start, end]: [number, number]) =>
    tf.slice(targets, [start], [end - start]) as tf.Tensor1D; // [n]
  const fused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, weight, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const losses: tf.Tensor1D[] = [];
    const logsumexps: tf.Tensor1D[] = [];
    for (const range of ranges) {
      const [loss, logsumexp] = tf.tidy(() => {
        const logits = tf.matMul(rowsOf(input, range), weight, false, true) as tf.Tensor2D; // [n, V]
        return dispatch(SOFTMAX_CROSS_ENTROPY, { logits, targets: targetsOf(range) }, attrs);
      }); // [n] each
      losses.push(loss);
      logsumexps.push(logsumexp);
    }
    const loss = losses.length === 1 ? losses[0]! : (tf.concat(losses) as tf.Tensor1D); // [N]
    const logsumexp =
      logsumexps.length === 1 ? logsumexps[0]! : (tf.concat(logsumexps) as tf.Tensor1D); // [N]
    save([input, weight, logsumexp]);
    return {
      value: loss,
      // Runs outside any tidy of tfjs's (a customGrad's gradient does not
      // get one): every temporary is released here, chunk by chunk.
      gradFunc: (dloss: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sw, lse] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
          const dxs: tf.Tensor2D[] = [];
          let dhead: tf.Tensor2D | undefined;
          for (const range of ranges) {
            const [start, end] = range;
            const [dx, dheadPart] = tf.tidy(() => {
              const xc = rowsOf(sx, range); // [n, C]
              const logits = tf.matMul(xc, sw, false, true) as tf.Tensor2D; // [n, V]
              const [dlogits] = dispatch(
                SOFTMAX_CROSS_ENTROPY_GRAD,
                {
                  dloss: tf.slice(dloss, [start], [end - start]) as tf.Tensor1D,
                  logits,
                  targets: targetsOf(range),
                  logsumexp: tf.slice(lse, [start], [end - start]) as tf.Tensor1D,
                },
                attrs,
              ); // [n, V]
              return [
                tf.matMul(dlogits, sw) as tf.Tensor2D, // [n, C]
                tf.matMul(dlogits, xc, true, false) as tf.Tensor2D, // [V, C]
              ];
            });
            dxs.push(dx);
            if (dhead === undefined) dhead = dheadPart;
            else {
              const sum = tf.add(dhead, dheadPart) as tf.Tensor2D; // [V, C]
              tf.dispose([dhead, dheadPart]);
              dhead = sum;
            }
          }
          const dx = dxs.length === 1 ? dxs[0]! : (tf.concat(dxs) as tf.Tensor2D); // [N, C]
          return [dx, dhead!];
        }),
    };
  }) as (x: tf.Tensor2D, head: tf.Tensor2D) => tf.Tensor1D;
  const loss = fused(x, head); // [N]
  const weights = tf.cast(tf.notEqual(targets, attrs.ignoreIndex), 'float32') as tf.Tensor1D; // [N]
  return { loss, weights };
}

/**
 * Below this size of the [B·T, V] logits, `'auto'` computes them whole: the
 * chunked path costs one more head matMul in the backward pass (a tenth of
 * gpt2's step), worth paying only where the logits take real memory.
 */
export const CHUNKED_CROSS_ENTROPY_MIN_BYTES = 128 * 1024 * 1024;

/** Fewest tokens per chunk that `'auto'` picks. */
export const MIN_CROSS_ENTROPY_CHUNK = 256;

/**
 * Tokens per chunk for `crossEntropyChunk` (an option of `GPT2Model.loss`),
 * or 0 for the plain path (logits whole), for N = B·T tokens, vocabulary V
 * and width C. `'auto'`: chunk when the logits would take more than
 * {@link CHUNKED_CROSS_ENTROPY_MIN_BYTES}, in chunks of max(256, C) tokens,
 * so that a chunk's logits are about the size of the head's gradient [V, C],
 * which the chunked backward accumulates anyway. A number n > 0: chunks of n
 * tokens (one chunk when n ≥ N, still the fused path).
 * @throws RangeError for a negative or fractional number.
 */
export function crossEntropyChunkRows(
  option: number | 'auto',
  N: number,
  V: number,
  C: number,
): number {
  if (option === 'auto') {
    if (N * V * 4 <= CHUNKED_CROSS_ENTROPY_MIN_BYTES) return 0;
    return Math.min(N, Math.max(MIN_CROSS_ENTROPY_CHUNK, C));
  }
  if (!Number.isInteger(option) || option < 0) {
    throw new RangeError(
      `crossEntropyChunk must be 'auto' or an integer ≥ 0 (0: logits whole), got ${String(option)}.`,
    );
  }
  return Math.min(option, N);
}
