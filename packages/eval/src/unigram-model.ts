import type { TokenDataset } from '@gpt2/data';
import * as tf from '@tensorflow/tfjs-core';

const CHUNK = 1 << 16;

/**
 * Token counts of a dataset, each plus one (add-one smoothing), as float64.
 * @throws RangeError naming the position of a token outside [0, vocabSize).
 */
export async function smoothedTokenCounts(
  dataset: TokenDataset,
  vocabSize: number,
): Promise<Float64Array> {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new RangeError(`unigram: vocabSize must be an integer >= 1, got ${vocabSize}.`);
  }
  const counts = new Float64Array(vocabSize).fill(1);
  for (let start = 0; start < dataset.length; start += CHUNK) {
    const chunk = new Int32Array(Math.min(CHUNK, dataset.length - start));
    await dataset.read(start, chunk);
    chunk.forEach((id, i) => {
      if (!(id >= 0 && id < vocabSize)) {
        throw new RangeError(
          `unigram: token ${start + i} of the training data is ${id}, outside [0, ${vocabSize - 1}].`,
        );
      }
      counts[id]! += 1;
    });
  }
  return counts;
}

/** Options for {@link createUnigramModel}. */
export interface UnigramModelOptions {
  /** The training split whose token frequencies the model predicts. */
  train: TokenDataset;
  vocabSize: number;
  /**
   * The context length it reports (`config.nPositions`), so that scorers and
   * samplers window text as they would for the model it is compared with.
   * Default: {@link DEFAULT_UNIGRAM_POSITIONS}.
   */
  nPositions?: number;
}

/** Default {@link UnigramModelOptions.nPositions}. */
export const DEFAULT_UNIGRAM_POSITIONS = 1024;

/** The KV cache of a {@link UnigramModel}: it holds nothing but the length. */
class UnigramCache {
  length = 0;
  select(): void {}
  dispose(): void {}
}

/**
 * The context-free language model: whatever came before, the next token's
 * probability is its add-one smoothed frequency in the training split. It has
 * the shape of a GPT2Model where scorers (`evaluatePerplexity`) and samplers
 * (`generate` from @gpt2/sampler) look, so the baseline is measured and
 * sampled by the very code that measures and samples the model: a model is
 * using context exactly where it beats this one.
 */
export class UnigramModel {
  readonly config: { readonly nPositions: number; readonly vocabSize: number };
  /** log p(token) for every token. */
  readonly logProbabilities: Float32Array;
  /** The same as a [1, 1, V] tensor, made on first use (so no backend is needed before). */
  private tensor: tf.Tensor3D | undefined;

  constructor(counts: Float64Array, nPositions = DEFAULT_UNIGRAM_POSITIONS) {
    if (!Number.isInteger(nPositions) || nPositions < 1) {
      throw new RangeError(`unigram: nPositions must be an integer >= 1, got ${nPositions}.`);
    }
    let total = 0;
    for (const count of counts) total += count;
    this.logProbabilities = Float32Array.from(counts, (count) => Math.log(count / total));
    this.config = { nPositions, vocabSize: counts.length };
  }

  /** ids int32 [B, T] → logits [B, T, V] (log-probabilities; [B, 1, V] with `lastPositionOnly`). */
  forward(
    ids: tf.Tensor2D,
    options: { cache?: { length: number }; lastPositionOnly?: boolean } = {},
  ): tf.Tensor3D {
    const [batch, time] = ids.shape;
    if (options.cache) (options.cache as UnigramCache).length += time;
    const positions = options.lastPositionOnly ? 1 : time;
    this.tensor ??= tf.keep(tf.tensor3d(this.logProbabilities, [1, 1, this.config.vocabSize]));
    return tf.tile(this.tensor, [batch, positions, 1]);
  }

  createKVCache(_batchSize: number): UnigramCache {
    return new UnigramCache();
  }

  dispose(): void {
    this.tensor?.dispose();
    this.tensor = undefined;
  }
}

/** Count `train`'s tokens and build the {@link UnigramModel} of them. */
export async function createUnigramModel(options: UnigramModelOptions): Promise<UnigramModel> {
  return new UnigramModel(
    await smoothedTokenCounts(options.train, options.vocabSize),
    options.nPositions,
  );
}
