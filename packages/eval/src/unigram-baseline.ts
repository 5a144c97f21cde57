import type { TokenDataset } from '@gpt2/data';

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

/** Compute the {@link UnigramBaseline} of `val` under `train`'s token counts. */
export async function unigramBaseline(options: UnigramBaselineOptions): Promise<UnigramBaseline> {
  const counts = new Float64Array(options.vocabSize).fill(1);
  const total =
    (await forEachToken(options.train, Number.POSITIVE_INFINITY, (id) => {
      counts[id]! += 1;
    })) + options.vocabSize;
  let nll = 0;
  let bytes = 0;
  const numTokens = await forEachToken(
    options.val,
    options.maxTokens ?? Number.POSITIVE_INFINITY,
    (id) => {
      nll -= Math.log(counts[id]! / total);
      bytes += options.tokenBytes(id);
    },
  );
  const meanNll = nll / Math.max(numTokens, 1);
  return {
    meanNll,
    perplexity: Math.exp(meanNll),
    bitsPerByte: nll / Math.LN2 / Math.max(bytes, 1),
    numTokens,
  };
}
