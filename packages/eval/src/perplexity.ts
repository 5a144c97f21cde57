import { checkWindowOptions, type StridedWindow } from './strided-windows.js';
import { tokenLogprobs } from './token-logprobs.js';
import {
  type EvalTokenizer,
  encodePlain,
  type ProgressCallback,
  type ScoringModel,
} from './types.js';
import { utf8ByteLength } from './utf8.js';

/** Default for {@link PerplexityOptions.batchSize}. */
export const DEFAULT_PERPLEXITY_BATCH_SIZE = 1;

/** What to measure perplexity on: a text, a token array, or a stream of token chunks (shards). */
export type PerplexitySource =
  | { text: string }
  | { tokens: ArrayLike<number> }
  | { chunks: Iterable<ArrayLike<number>> | AsyncIterable<ArrayLike<number>> };

/** Options for {@link evaluatePerplexity}. */
export interface PerplexityOptions {
  /** Needed for `{ text }` and for bits per byte (without it `bitsPerByte` is undefined). Default: none. */
  tokenizer?: EvalTokenizer;
  /** Tokens per window. Default: the model's `nPositions`. */
  contextLength?: number;
  /** Distance between window starts; smaller is more accurate and slower. Default: `contextLength` (no overlap). */
  stride?: number;
  /** Full windows run together in one forward pass. Default: {@link DEFAULT_PERPLEXITY_BATCH_SIZE} (1). */
  batchSize?: number;
  /** Also return each token's NLL (NaN for unscored tokens). Default: false. */
  returnTokenNll?: boolean;
  /** Called after each batch of windows. Default: none. */
  onProgress?: ProgressCallback;
  /** Stops the evaluation between batches; it then throws the signal's reason. Default: none. */
  signal?: AbortSignal;
}

/** The result of {@link evaluatePerplexity}; plain JSON. */
export interface PerplexityReport {
  task: 'perplexity';
  /** Tokens read. */
  numTokens: number;
  /** Tokens scored (every token but the unscored window starts). */
  numScored: number;
  numWindows: number;
  contextLength: number;
  stride: number;
  /** Sum of the scored tokens' NLLs, in nats. */
  nllSum: number;
  /** nllSum / numScored, in nats. */
  meanNll: number;
  /** exp(meanNll). */
  perplexity: number;
  /** meanNll / ln 2. */
  bitsPerToken: number;
  /** UTF-8 bytes of the scored tokens' text (needs a tokenizer). */
  numBytes?: number;
  /** Total NLL in bits ÷ UTF-8 bytes of the scored text: comparable across tokenizers. */
  bitsPerByte?: number;
  /** Per-token NLL, NaN where unscored (with `returnTokenNll`). */
  tokenNll?: number[];
  seconds: number;
}

async function* chunksOf(source: PerplexitySource, tokenizer: EvalTokenizer | undefined) {
  if ('text' in source) {
    if (!tokenizer)
      throw new TypeError('evaluatePerplexity: a { text } source needs options.tokenizer.');
    yield encodePlain(tokenizer, source.text);
  } else if ('tokens' in source) {
    yield source.tokens;
  } else if ('chunks' in source) {
    yield* source.chunks;
  } else {
    throw new TypeError('evaluatePerplexity: source must be { text }, { tokens } or { chunks }.');
  }
}

/**
 * Perplexity with Hugging Face's strided sliding-window protocol (see
 * {@link planStridedWindows}): mean NLL, perplexity, bits per token and bits
 * per byte. Streams: only the current window's tokens are held, so shards of
 * any size work.
 *
 * @example
 * const report = await evaluatePerplexity(model, { text }, { tokenizer, stride: 512 });
 * console.log(report.perplexity, report.bitsPerByte);
 */
export async function evaluatePerplexity(
  model: ScoringModel,
  source: PerplexitySource,
  options: PerplexityOptions = {},
): Promise<PerplexityReport> {
  const started = performance.now();
  const contextLength = options.contextLength ?? model.config.nPositions;
  const stride = options.stride ?? contextLength;
  checkWindowOptions({ contextLength, stride });
  if (contextLength > model.config.nPositions) {
    throw new RangeError(
      `evaluatePerplexity: contextLength ${contextLength} exceeds the model's nPositions ${model.config.nPositions}.`,
    );
  }
  const batchSize = options.batchSize ?? DEFAULT_PERPLEXITY_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `evaluatePerplexity: batchSize must be an integer >= 1, got ${batchSize}.`,
    );
  }
  const { tokenizer, signal } = options;
  const decoder = tokenizer?.createStreamDecoder();
  const { vocabSize } = model.config;
  const total = 'tokens' in source ? source.tokens.length : undefined;
  const tokenNll: number[] | undefined = options.returnTokenNll ? [] : undefined;

  // Tokens from global index `bufferStart` on; older ones are no longer needed.
  let buffer: number[] = [];
  let bytes: number[] = [];
  let bufferStart = 0;
  let numTokens = 0;
  let nextBegin = 0;
  let previousEnd = 0;
  let nllSum = 0;
  let numScored = 0;
  let numBytes = 0;
  let numWindows = 0;
  let pending: StridedWindow[] = [];

  const run = async (windows: StridedWindow[]) => {
    signal?.throwIfAborted();
    const rows = windows.map((w) => buffer.slice(w.begin - bufferStart, w.end - bufferStart));
    const { logprobs, width } = await tokenLogprobs(model, rows);
    windows.forEach((w, b) => {
      for (let t = w.scoreFrom; t < w.end; t++) {
        // Token t is predicted at window position t - begin - 1.
        const nll = -(logprobs[b * width + (t - w.begin - 1)] as number);
        nllSum += nll;
        numScored++;
        numBytes += bytes[t - bufferStart] as number;
        if (tokenNll) tokenNll[t] = nll;
      }
    });
    numWindows += windows.length;
    options.onProgress?.({
      task: 'perplexity',
      done: numWindows,
      total: total === undefined ? undefined : countWindows(total, contextLength, stride),
      elapsedSeconds: (performance.now() - started) / 1000,
    });
  };

  const plan = (end: number): StridedWindow => {
    const window = { begin: nextBegin, end, scoreFrom: Math.max(previousEnd, nextBegin + 1) };
    previousEnd = end;
    nextBegin += stride;
    return window;
  };

  const flush = async () => {
    if (pending.length === 0) return;
    await run(pending);
    pending = [];
    // Drop tokens no later window needs.
    const keepFrom = Math.min(nextBegin, numTokens);
    buffer = buffer.slice(keepFrom - bufferStart);
    bytes = bytes.slice(keepFrom - bufferStart);
    bufferStart = keepFrom;
  };

  for await (const chunk of chunksOf(source, tokenizer)) {
    for (let i = 0; i < chunk.length; i++) {
      const token = chunk[i] as number;
      if (!Number.isInteger(token) || token < 0 || token >= vocabSize) {
        throw new RangeError(
          `evaluatePerplexity: token ${numTokens} is ${token}, outside [0, ${vocabSize - 1}].`,
        );
      }
      buffer.push(token);
      bytes.push(decoder ? utf8ByteLength(decoder.push(token)) : 0);
      numTokens++;
      // A full window can run before the stream ends. If it happens to end the stream,
      // the loop below sees previousEnd === numTokens and plans nothing more.
      if (numTokens === nextBegin + contextLength) {
        pending.push(plan(numTokens));
        if (pending.length === batchSize) await flush();
      }
    }
  }
  await flush();
  if (numTokens < 2)
    throw new RangeError(`evaluatePerplexity: need at least 2 tokens, got ${numTokens}.`);
  // The last window: the first one that reaches the end (shorter than contextLength).
  if (previousEnd !== numTokens) {
    const last = plan(numTokens);
    // A one-token window (N = k·stride + 1 with stride = contextLength) scores nothing in
    // HF's protocol: its token has no predecessor inside the window. Nothing to run.
    if (last.scoreFrom < last.end) {
      pending.push(last);
      await flush();
    }
  }
  const meanNll = nllSum / numScored;
  const report: PerplexityReport = {
    task: 'perplexity',
    numTokens,
    numScored,
    numWindows,
    contextLength,
    stride,
    nllSum,
    meanNll,
    perplexity: Math.exp(meanNll),
    bitsPerToken: meanNll / Math.LN2,
    seconds: 0,
  };
  if (decoder) {
    report.numBytes = numBytes;
    report.bitsPerByte = nllSum / Math.LN2 / numBytes;
  }
  if (tokenNll)
    report.tokenNll = Array.from({ length: numTokens }, (_, t) => tokenNll[t] ?? Number.NaN);
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** Number of windows the plan runs for `numTokens` tokens (those that score something). */
function countWindows(numTokens: number, contextLength: number, stride: number): number {
  if (numTokens <= contextLength) return 1;
  const windows = Math.ceil((numTokens - contextLength) / stride) + 1;
  // The last window starts at (windows - 1)·stride; with one token it scores nothing.
  return numTokens - (windows - 1) * stride === 1 ? windows - 1 : windows;
}
