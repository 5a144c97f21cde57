import type { TokenDataset } from '@gpt2/data';
import { smoothedTokenCounts } from './unigram-model.js';

/**
 * The unigram baseline: the cross-entropy of held-out tokens under the
 * training split's token frequencies (add-one smoothed), i.e. the loss of a
 * model that ignores context. A language model is learning context exactly
 * when it beats this.
 */
export interface UnigramBaseline {
  /** Mean NLL of the evaluated tokens, in nats. */
  meanNll: number;
  perplexity: number;
  /** Total NLL in bits ÷ UTF-8 bytes of the evaluated tokens' text. */
  bitsPerByte: number;
  numTokens: number;
}

/** Options for {@link unigramBaseline}. */
export interface UnigramBaselineOptions {
  train: TokenDataset;
  val: TokenDataset;
  vocabSize: number;
  /** Byte length of each token's text (for bits per byte). */
  tokenBytes: (id: number) => number;
  /** Evaluate at most this many val tokens (from the start). Default: all. */
  maxTokens?: number;
}

const CHUNK = 1 << 16;

async function forEachToken(
  dataset: TokenDataset,
  limit: number,
  visit: (id: number) => void,
): Promise<number> {
  const end = Math.min(dataset.length, limit);
  for (let start = 0; start < end; start += CHUNK) {
    const chunk = new Int32Array(Math.min(CHUNK, end - start));
    await dataset.read(start, chunk);
    for (const id of chunk) visit(id);
  }
  return end;
}

/**
 * Compute the {@link UnigramBaseline} of `val` under `train`'s token counts.
 * To score it on exactly the tokens a model is scored on, or to sample from
 * it, use {@link createUnigramModel} with `evaluatePerplexity` or a sampler.
 * @throws RangeError for an empty validation split or a token outside the vocabulary.
 */
export async function unigramBaseline(options: UnigramBaselineOptions): Promise<UnigramBaseline> {
  const { vocabSize } = options;
  const counts = await smoothedTokenCounts(options.train, vocabSize);
  let total = 0;
  for (const count of counts) total += count;
  let nll = 0;
  let bytes = 0;
  let position = 0;
  const numTokens = await forEachToken(
    options.val,
    options.maxTokens ?? Number.POSITIVE_INFINITY,
    (id) => {
      if (!(id >= 0 && id < vocabSize)) {
        throw new RangeError(
          `unigramBaseline: validation token ${position} is ${id}, outside [0, ${vocabSize - 1}].`,
        );
      }
      position++;
      nll -= Math.log(counts[id]! / total);
      bytes += options.tokenBytes(id);
    },
  );
  if (numTokens === 0) {
    throw new RangeError('unigramBaseline: the validation split has no tokens to score.');
  }
  return {
    meanNll: nll / numTokens,
    perplexity: Math.exp(nll / numTokens),
    // Tokens of zero bytes (none in a byte-level BPE) would leave nothing to divide by.
    bitsPerByte: bytes > 0 ? nll / Math.LN2 / bytes : Number.NaN,
    numTokens,
  };
}
