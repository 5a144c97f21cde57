import * as tf from '@tensorflow/tfjs-core';
import type { SamplerKVCache, SamplerModel } from '../types.js';

/** Options for {@link createFakeModel}. */
export interface FakeModelOptions {
  /** Vocabulary size. Default: 64. */
  vocabSize?: number;
  /** Context length. Default: 32. */
  nPositions?: number;
  /** Hidden width. Default: 16. */
  width?: number;
  /** Seed of the weights. Default: 1. */
  seed?: number;
  /** Scale of the output weights (larger: peakier distributions). Default: 3. */
  scale?: number;
}

class FakeCache implements SamplerKVCache {
  length = 0;
  /** Running sum of the hidden states seen, [B, width]. */
  sum: tf.Tensor2D | undefined;
  constructor(public batchSize: number) {}
  select(batchIndices: readonly number[]): void {
    if (this.sum) {
      const old = this.sum;
      this.sum = tf.tidy(() => tf.gather(old, tf.tensor1d(batchIndices as number[], 'int32')));
      old.dispose();
    }
    this.batchSize = batchIndices.length;
  }
  dispose(): void {
    this.sum?.dispose();
    this.sum = undefined;
  }
}

/** Weights from a small LCG so the test double needs no RNG package. */
function seededWeights(count: number, seed: number, scale: number): Float32Array {
  const values = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = (state / 2 ** 32 - 0.5) * 2 * scale;
  }
  return values;
}

/**
 * A causal language model small enough for unit tests that behaves like
 * GPT-2 where the sampler cares: logits at position t depend on tokens 0…t
 * and on absolute positions (so a stale cache would show), it has a KV-style
 * cache that forward extends in place, and it refuses positions past
 * `nPositions`. Hidden state = mean of token + position embeddings so far
 * (uniform causal attention); logits = hidden @ W.
 */
export function createFakeModel(options: FakeModelOptions = {}): SamplerModel & {
  /** Calls of forward and tokens fed through it, for cost assertions. */
  readonly stats: { calls: number; tokens: number };
  dispose(): void;
} {
  const vocabSize = options.vocabSize ?? 64;
  const nPositions = options.nPositions ?? 32;
  const width = options.width ?? 16;
  const seed = options.seed ?? 1;
  const tokenEmbedding = tf.keep(
    tf.tensor2d(seededWeights(vocabSize * width, seed, 1), [vocabSize, width]),
  );
  const positionEmbedding = tf.keep(
    tf.tensor2d(seededWeights(nPositions * width, seed + 1, 1), [nPositions, width]),
  );
  const output = tf.keep(
    tf.tensor2d(seededWeights(width * vocabSize, seed + 2, options.scale ?? 3), [width, vocabSize]),
  );
  const stats = { calls: 0, tokens: 0 };
  return {
    config: { nPositions, vocabSize },
    stats,
    createKVCache: (batchSize) => new FakeCache(batchSize),
    forward(ids, forwardOptions) {
      const cache = forwardOptions?.cache as FakeCache | undefined;
      const [batch, time] = ids.shape;
      const start = cache?.length ?? 0;
      if (start + time > nPositions) {
        throw new RangeError(
          `fake model: positions ${start}..${start + time - 1} exceed nPositions ${nPositions}.`,
        );
      }
      stats.calls++;
      stats.tokens += batch * time;
      const result = tf.tidy(() => {
        const hidden = tf.add(
          tf.reshape(tf.gather(tokenEmbedding, tf.reshape(ids, [-1])), [batch, time, width]),
          tf.expandDims(tf.slice(positionEmbedding, [start, 0], [time, width]), 0),
        ); // [B, T, W]
        let sums = tf.cumsum(hidden, 1); // [B, T, W]
        if (cache?.sum) sums = tf.add(sums, tf.expandDims(cache.sum, 1));
        const counts = tf.reshape(tf.range(start + 1, start + time + 1, 1, 'float32'), [
          1,
          time,
          1,
        ]);
        const mean = tf.div(sums, counts); // [B, T, W]
        const logits = tf.reshape(tf.matMul(tf.reshape(mean, [batch * time, width]), output), [
          batch,
          time,
          vocabSize,
        ]) as tf.Tensor3D; // [B, T, V]
        const total = tf.reshape(tf.slice(sums, [0, time - 1, 0], [batch, 1, width]), [
          batch,
          width,
        ]) as tf.Tensor2D;
        return { logits, total };
      });
      if (cache) {
        cache.sum?.dispose();
        cache.sum = result.total;
        cache.length = start + time;
      } else {
        result.total.dispose();
      }
      return result.logits;
    },
    dispose() {
      tokenEmbedding.dispose();
      positionEmbedding.dispose();
      output.dispose();
    },
  };
}
