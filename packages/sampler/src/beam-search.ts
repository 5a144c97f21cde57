import type { ResolvedGenerateOptions } from './options.js';
import type { ProcessorPipeline } from './processors/from-options.js';
import { logSumExp } from './sampling.js';
import { SequenceText } from './sequence-text.js';
import { TokenWindow } from './token-window.js';
import type { FinishReason, GenerationEvent, SamplerModel, SamplerTokenizer } from './types.js';

interface Beam {
  /** Prompt and generated tokens. */
  tokens: number[];
  /** Sum of the processed log-probabilities of the generated tokens. */
  score: number;
  /** Raw model logprob of each generated token. */
  logprobs: number[];
}

interface Hypothesis {
  tokenIds: number[];
  logprobs: number[];
  score: number;
  reason: FinishReason;
}

interface Candidate {
  beam: number;
  token: number;
  score: number;
  logprob: number;
}

/** The `count` largest entries of a row as [index, value], best first. */
function topEntries(row: Float64Array, count: number): [number, number][] {
  const best: [number, number][] = [];
  for (let i = 0; i < row.length; i++) {
    const value = row[i] as number;
    if (value === Number.NEGATIVE_INFINITY) continue;
    if (best.length === count && value <= (best[count - 1] as [number, number])[1]) continue;
    let at = best.length;
    while (at > 0 && (best[at - 1] as [number, number])[1] < value) at--;
    best.splice(at, 0, [i, value]);
    if (best.length > count) best.pop();
  }
  return best;
}

/**
 * Beam search as Hugging Face runs it: keep `numBeams` running beams; each step
 * take the best 2·numBeams continuations; a continuation that ends (stop token
 * or stop string) becomes a finished hypothesis scored
 * `sum logprob / generatedLength ** lengthPenalty`.
 *
 * The KV cache follows the beams: when they reorder, its rows are gathered
 * from their parents (`KVCache.select`), so every step feeds one token per
 * beam. A cache without `select` is rebuilt from the window instead.
 */
export async function* beamSearch(
  model: SamplerModel,
  tokenizer: SamplerTokenizer,
  prompt: readonly number[],
  options: ResolvedGenerateOptions,
  pipeline: ProcessorPipeline,
  signal: AbortSignal | undefined,
): AsyncGenerator<GenerationEvent, void, undefined> {
  const { vocabSize } = model.config;
  const width = options.numBeams;
  const promptLength = prompt.length;
  const normalise = (score: number, length: number): number =>
    score / Math.max(1, length) ** options.lengthPenalty;
  let beams: Beam[] = [{ tokens: [...prompt], score: 0, logprobs: [] }];
  const finished: Hypothesis[] = [];
  const window = new TokenWindow(model, [[...prompt]], {
    useCache: options.useCache,
    slideKeepTokens: options.slideKeepTokens,
  });
  const generatedText = (tokens: readonly number[]): string =>
    tokenizer.decode(tokens.slice(promptLength));
  try {
    for (let step = 0; step < options.maxNewTokens && beams.length > 0; step++) {
      signal?.throwIfAborted();
      const { logits, slide } = await window.nextLogits();
      if (slide) yield { type: 'slide', ...slide };
      const candidates: Candidate[] = [];
      beams.forEach((beam, b) => {
        const raw = logits.subarray(b * vocabSize, (b + 1) * vocabSize);
        const rawNormaliser = logSumExp(raw);
        const work = Float32Array.from(raw);
        for (const processor of pipeline.penalties) {
          processor(work, { tokens: beam.tokens, promptLength, sequence: b });
        }
        const normaliser = logSumExp(work);
        const logprobs = new Float64Array(vocabSize);
        for (let v = 0; v < vocabSize; v++) logprobs[v] = (work[v] as number) - normaliser;
        for (const [token, logprob] of topEntries(logprobs, 2 * width)) {
          candidates.push({
            beam: b,
            token,
            score: beam.score + logprob,
            logprob: (raw[token] as number) - rawNormaliser,
          });
        }
      });
      candidates.sort((x, y) => y.score - x.score);
      const next: Beam[] = [];
      const parents: number[] = [];
      for (const [rank, candidate] of candidates.slice(0, 2 * width).entries()) {
        const parent = beams[candidate.beam] as Beam;
        const generated = parent.tokens.length - promptLength;
        if (options.stopTokenIds.has(candidate.token)) {
          // As in Hugging Face: an ending ranked below the top `numBeams` is not kept.
          if (rank < width) {
            finished.push({
              tokenIds: parent.tokens.slice(promptLength),
              logprobs: parent.logprobs,
              score: normalise(candidate.score, generated),
              reason: 'stop-token',
            });
          }
          continue;
        }
        const beam: Beam = {
          tokens: [...parent.tokens, candidate.token],
          score: candidate.score,
          logprobs: [...parent.logprobs, candidate.logprob],
        };
        if (options.stop.length > 0) {
          const text = generatedText(beam.tokens);
          if (options.stop.some((stop) => text.includes(stop))) {
            if (rank < width) {
              finished.push({
                tokenIds: beam.tokens.slice(promptLength),
                logprobs: beam.logprobs,
                score: normalise(beam.score, generated + 1),
                reason: 'stop-string',
              });
            }
            continue;
          }
        }
        next.push(beam);
        parents.push(candidate.beam);
        if (next.length === width) break;
      }
      finished.sort((x, y) => y.score - x.score);
      finished.splice(width);
      // Row b of the cache can be extended only if beam b grew out of beam b.
      const reordered = next.length !== beams.length || parents.some((parent, b) => parent !== b);
      beams = next;
      if (reordered)
        window.replaceRows(
          beams.map((beam) => [...beam.tokens]),
          parents,
        );
      else window.append(beams.map((beam) => beam.tokens[beam.tokens.length - 1] as number));
      if (finished.length >= width) {
        const best = beams[0];
        const worstFinished = (finished[finished.length - 1] as Hypothesis).score;
        const bestRunning = best
          ? normalise(best.score, best.tokens.length - promptLength)
          : Number.NEGATIVE_INFINITY;
        if (options.earlyStopping || bestRunning <= worstFinished) break;
      }
    }
  } finally {
    window.dispose();
  }
  for (const beam of beams) {
    finished.push({
      tokenIds: beam.tokens.slice(promptLength),
      logprobs: beam.logprobs,
      score: normalise(beam.score, beam.tokens.length - promptLength),
      reason: 'length',
    });
  }
  finished.sort((x, y) => y.score - x.score);
  for (const [sequence, hypothesis] of finished.slice(0, options.numReturnSequences).entries()) {
    const text = new SequenceText(tokenizer, options.stop);
    for (const [step, tokenId] of hypothesis.tokenIds.entries()) {
      const delta = text.push(tokenId);
      yield {
        type: 'token',
        sequence,
        step,
        tokenId,
        text: delta.text,
        logprob: hypothesis.logprobs[step] as number,
      };
      if (delta.stopped) break;
    }
    const tail = text.stopped ? { text: '' } : text.finish();
    yield {
      type: 'finish',
      sequence,
      reason: hypothesis.reason,
      text: text.text,
      flushedText: tail.text,
      tokenIds: hypothesis.tokenIds,
      logprobs: hypothesis.logprobs,
      score: hypothesis.score,
    };
  }
}
