import * as tf from '@tensorflow/tfjs-core';
import type { ScoringModel } from './types.js';

/** Next-token log-probabilities of a batch, as {@link tokenLogprobs} returns them. */
export interface TokenLogprobs {
  /**
   * [B, T-1] row-major, T the longest row: log p(ids[b][t+1] | ids[b][0..t]).
   * Entries past a shorter row's end score padding; ignore them.
   */
  logprobs: Float32Array;
  /** [B, T-1] row-major: 1 where ids[b][t+1] is the model's argmax at t. */
  isArgmax: Uint8Array;
  /** T - 1; 0 (and empty arrays) when no row has two tokens. */
  width: number;
}

/**
 * Run the model once on `rows` (padded on the right with `padToken` to one
 * length; padding never changes earlier positions of a causal model) and
 * read back the log-probability of every next token. Only [B, T] numbers
 * leave the device, not the [B, T, V] logits.
 */
export async function tokenLogprobs(
  model: ScoringModel,
  rows: readonly (readonly number[])[],
  padToken = 0,
): Promise<TokenLogprobs> {
  const batch = rows.length;
  const time = Math.max(0, ...rows.map((row) => row.length));
  // Rows of 0 or 1 tokens have no next token to score: an empty result, no forward pass.
  if (time < 2) return { logprobs: new Float32Array(0), isArgmax: new Uint8Array(0), width: 0 };
  if (time > model.config.nPositions + 1) {
    throw new RangeError(
      `tokenLogprobs: rows of ${time} tokens exceed nPositions + 1 (${model.config.nPositions + 1}).`,
    );
  }
  const { vocabSize } = model.config;
  rows.forEach((row, b) => {
    row.forEach((token, t) => {
      if (!Number.isInteger(token) || token < 0 || token >= vocabSize) {
        throw new RangeError(
          `tokenLogprobs: row ${b}, token ${t} is ${token}, outside [0, ${vocabSize - 1}].`,
        );
      }
    });
  });
  const width = time - 1;
  const inputs = new Int32Array(batch * width);
  const indices = new Int32Array(batch * width * 3);
  rows.forEach((row, b) => {
    for (let t = 0; t < width; t++) {
      const i = b * width + t;
      inputs[i] = row[t] ?? padToken;
      indices.set([b, t, row[t + 1] ?? padToken], i * 3);
    }
  });
  const input = tf.tensor2d(inputs, [batch, width], 'int32');
  let logits: tf.Tensor3D;
  try {
    logits = model.forward(input);
  } finally {
    input.dispose();
  }
  const [logprobs, argmax] = tf.tidy(() => {
    const normaliser = tf.logSumExp(logits, -1); // [B, T-1]
    const target = tf.reshape(
      tf.gatherND(logits, tf.tensor2d(indices, [batch * width, 3], 'int32')),
      [batch, width],
    ); // [B, T-1]
    return [tf.sub(target, normaliser), tf.argMax(logits, -1)]; // [B, T-1] each
  });
  logits.dispose();
  try {
    // Await, never dataSync: WebGPU in Node cannot read synchronously.
    const [values, best] = await Promise.all([logprobs.data(), argmax.data()]);
    const isArgmax = new Uint8Array(batch * width);
    for (let i = 0; i < isArgmax.length; i++) isArgmax[i] = best[i] === indices[i * 3 + 2] ? 1 : 0;
    return { logprobs: values as Float32Array, isArgmax, width };
  } finally {
    logprobs.dispose();
    argmax.dispose();
  }
}
