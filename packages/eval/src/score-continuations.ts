import { tokenLogprobs } from './token-logprobs.js';
import type { ScoringModel } from './types.js';

/** A context and the continuation to score after it (token ids). */
export interface ContinuationRequest {
  context: readonly number[];
  continuation: readonly number[];
}

/** The score of one {@link ContinuationRequest}. */
export interface ContinuationScore {
  /** Log-probability of each continuation token. */
  logprobs: number[];
  /** Sum of `logprobs`. */
  sum: number;
  /** True when every continuation token is the model's argmax (greedy decoding would produce it). */
  greedy: boolean;
  /** Context tokens dropped from the left to fit `nPositions`. */
  truncated: number;
}

/** Options for {@link scoreContinuations}. */
export interface ScoreContinuationsOptions {
  /** Rows per forward pass. Default: {@link DEFAULT_SCORE_BATCH_SIZE}. */
  batchSize?: number;
  /** Called after each batch with the number of requests scored. Default: none. */
  onBatch?: (done: number) => void;
  /** Checked between batches. Default: none. */
  signal?: AbortSignal;
}

/** Default for {@link ScoreContinuationsOptions.batchSize}. */
export const DEFAULT_SCORE_BATCH_SIZE = 8;

/**
 * Log-likelihood of continuations given contexts, as lm-evaluation-harness
 * computes it: one forward pass over context + continuation (minus its last
 * token), reading the continuation tokens' log-probabilities. Contexts too long
 * for `nPositions` lose tokens from the left. Requests are sorted by length
 * so a batch wastes little on padding; results come back in request order.
 */
export async function scoreContinuations(
  model: ScoringModel,
  requests: readonly ContinuationRequest[],
  options: ScoreContinuationsOptions = {},
): Promise<ContinuationScore[]> {
  const batchSize = options.batchSize ?? DEFAULT_SCORE_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `scoreContinuations: batchSize must be an integer >= 1, got ${batchSize}.`,
    );
  }
  const limit = model.config.nPositions + 1;
  const rows = requests.map((request, index) => {
    if (request.continuation.length === 0) {
      throw new RangeError(`scoreContinuations: request ${index} has an empty continuation.`);
    }
    if (request.continuation.length >= limit) {
      throw new RangeError(
        `scoreContinuations: request ${index}'s continuation (${request.continuation.length} tokens) does not fit nPositions ${model.config.nPositions}.`,
      );
    }
    // A continuation needs at least one token before it to be predicted from.
    const all = [...request.context, ...request.continuation];
    if (request.context.length === 0) {
      throw new RangeError(
        `scoreContinuations: request ${index} has an empty context (start it with EOT).`,
      );
    }
    const truncated = Math.max(0, all.length - limit);
    return { index, tokens: all.slice(truncated), truncated, length: request.continuation.length };
  });
  const order = [...rows].sort((a, b) => b.tokens.length - a.tokens.length);
  const results: ContinuationScore[] = new Array(requests.length);
  for (let start = 0; start < order.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const batch = order.slice(start, start + batchSize);
    const { logprobs, isArgmax, width } = await tokenLogprobs(
      model,
      batch.map((row) => row.tokens),
    );
    batch.forEach((row, b) => {
      const scores: number[] = [];
      let greedy = true;
      // Continuation token j sits at position tokens.length - length + j, predicted one earlier.
      for (let t = row.tokens.length - row.length; t < row.tokens.length; t++) {
        const at = b * width + t - 1;
        scores.push(logprobs[at] as number);
        if (isArgmax[at] !== 1) greedy = false;
      }
      results[row.index] = {
        logprobs: scores,
        sum: scores.reduce((sum, value) => sum + value, 0),
        greedy,
        truncated: row.truncated,
      };
    });
    options.onBatch?.(Math.min(start + batchSize, order.length));
  }
  return results;
}
