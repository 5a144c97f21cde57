import { createRng } from '@gpt2/data/random';
import { beamSearch } from './beam-search.js';
import { type GenerateOptions, resolveGenerateOptions } from './options.js';
import { processorsFromOptions } from './processors/from-options.js';
import type { LogitProcessorContext } from './processors/logit-processor.js';
import { type Prompt, preparePrompt } from './prompt.js';
import { argmax, logSumExp, sampleFromLogits } from './sampling.js';
import { SequenceText } from './sequence-text.js';
import { TokenWindow } from './token-window.js';
import type {
  FinishEvent,
  FinishReason,
  GenerationEvent,
  RandomSource,
  SamplerModel,
  SamplerTokenizer,
  WarningEvent,
} from './types.js';

interface RowState {
  text: SequenceText;
  tokenIds: number[];
  logprobs: number[];
  finished: boolean;
}

function finishEvent(
  sequence: number,
  row: RowState,
  reason: FinishReason,
  flushedText: string,
): FinishEvent {
  return {
    type: 'finish',
    sequence,
    reason,
    text: row.text.text,
    flushedText,
    tokenIds: row.tokenIds,
    logprobs: row.logprobs,
  };
}

function randomSource(options: GenerateOptions): RandomSource {
  if (options.random) return options.random;
  // Without a seed, draw one so every run still uses the package's one generator.
  return createRng(options.seed ?? Math.floor(Math.random() * 2 ** 32));
}

/**
 * Generate text, one event at a time.
 *
 * Yields a `token` event per generated token of each sequence (token id, the
 * text delta from the streaming decoder, the token's logprob under the model),
 * `warning` and `slide` events when the context overflows, and one `finish`
 * event per sequence. Sequences of a batch (`numReturnSequences`) run as one
 * batch through the model; beam search (`numBeams` > 1) yields each returned
 * beam's tokens after the search ends.
 *
 * @throws RangeError for bad options (before the first event).
 * @throws the signal's reason when `options.signal` aborts.
 * @example
 * for await (const event of generate(model, tokenizer, 'Hello', { maxNewTokens: 20, seed: 1 })) {
 *   if (event.type === 'token') process.stdout.write(event.text);
 * }
 */
export async function* generate(
  model: SamplerModel,
  tokenizer: SamplerTokenizer,
  prompt: Prompt,
  options: GenerateOptions = {},
): AsyncGenerator<GenerationEvent, void, undefined> {
  const { nPositions, vocabSize } = model.config;
  const resolved = resolveGenerateOptions(options, {
    nPositions,
    vocabSize,
    eotToken: tokenizer.eotToken,
  });
  const pipeline = processorsFromOptions(resolved);
  const { signal } = options;
  signal?.throwIfAborted();
  const prepared = preparePrompt(tokenizer, prompt, nPositions, vocabSize);
  if (prepared.warning) yield prepared.warning;
  if (resolved.numBeams > 1) {
    yield* beamSearch(model, tokenizer, prepared.tokens, resolved, pipeline, signal);
    return;
  }
  const random = randomSource(options);
  const promptLength = prepared.tokens.length;
  const batch = resolved.numReturnSequences;
  const window = new TokenWindow(
    model,
    Array.from({ length: batch }, () => [...prepared.tokens]),
    { useCache: resolved.useCache, slideKeepTokens: resolved.slideKeepTokens },
  );
  const rows: RowState[] = Array.from({ length: batch }, () => ({
    text: new SequenceText(tokenizer, resolved.stop),
    tokenIds: [],
    logprobs: [],
    finished: false,
  }));
  try {
    for (let step = 0; step < resolved.maxNewTokens; step++) {
      signal?.throwIfAborted();
      const { logits, slide } = await window.nextLogits();
      signal?.throwIfAborted();
      if (slide) yield { type: 'slide', ...slide };
      const next: number[] = [];
      for (let b = 0; b < batch; b++) {
        const row = rows[b] as RowState;
        const tokens = window.rows[b] as readonly number[];
        if (row.finished) {
          // Finished rows still need a token to keep the batch rectangular; it is never read.
          next.push(tokens[tokens.length - 1] as number);
          continue;
        }
        const raw = logits.subarray(b * vocabSize, (b + 1) * vocabSize);
        let token: number;
        // The row's largest raw logit, when the token is known to have it.
        let rawMax: number | undefined;
        if (resolved.greedy && pipeline.penalties.length === 0) {
          // Nothing rewrites the logits: no copy (50,257 floats a token at gpt2's vocabulary).
          token = argmax(raw);
          rawMax = raw[token];
        } else {
          const work = raw.slice();
          const context: LogitProcessorContext = { tokens, promptLength, sequence: b };
          for (const processor of pipeline.penalties) processor(work, context);
          if (resolved.greedy) {
            token = argmax(work);
          } else {
            for (const processor of pipeline.warpers) processor(work, context);
            token = sampleFromLogits(work, random);
          }
        }
        next.push(token);
        if (resolved.stopTokenIds.has(token)) {
          row.finished = true;
          const tail = row.text.finish();
          yield finishEvent(b, row, 'stop-token', tail.text);
          continue;
        }
        const logprob = (raw[token] as number) - logSumExp(raw, rawMax);
        row.tokenIds.push(token);
        row.logprobs.push(logprob);
        const delta = row.text.push(token);
        yield { type: 'token', sequence: b, step, tokenId: token, text: delta.text, logprob };
        if (delta.stopped) {
          row.finished = true;
          yield finishEvent(b, row, 'stop-string', '');
        }
      }
      window.append(next);
      if (rows.every((row) => row.finished)) break;
    }
    for (const [b, row] of rows.entries()) {
      if (row.finished) continue;
      const tail = row.text.finish();
      yield finishEvent(b, row, tail.stopped ? 'stop-string' : 'length', tail.text);
    }
  } finally {
    window.dispose();
  }
}

/** One finished sequence, as {@link generateText} returns it. */
export interface GeneratedSequence {
  text: string;
  tokenIds: number[];
  logprobs: number[];
  finishReason: FinishReason;
  /** Beam search only: the length-normalised score. */
  score?: number;
}

/** What {@link generateText} returns. */
export interface GenerateTextResult {
  /** The first sequence's text (the best beam with beam search). */
  text: string;
  /** Every sequence, in order (best first with beam search). */
  sequences: GeneratedSequence[];
  /** Warnings raised on the way (a truncated prompt). */
  warnings: WarningEvent[];
  /** How many times the context window slid. */
  slides: number;
}

/** Run {@link generate} to the end and return the whole text. Takes the same options. */
export async function generateText(
  model: SamplerModel,
  tokenizer: SamplerTokenizer,
  prompt: Prompt,
  options: GenerateOptions = {},
): Promise<GenerateTextResult> {
  const sequences: GeneratedSequence[] = [];
  const warnings: WarningEvent[] = [];
  let slides = 0;
  for await (const event of generate(model, tokenizer, prompt, options)) {
    if (event.type === 'warning') warnings.push(event);
    else if (event.type === 'slide') slides++;
    else if (event.type === 'finish') {
      sequences[event.sequence] = {
        text: event.text,
        tokenIds: event.tokenIds,
        logprobs: event.logprobs,
        finishReason: event.reason,
        ...(event.score === undefined ? {} : { score: event.score }),
      };
    }
  }
  return { text: sequences[0]?.text ?? '', sequences, warnings, slides };
}
