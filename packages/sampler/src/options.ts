import type { LogitProcessor } from './processors/logit-processor.js';
import type { RandomSource } from './types.js';

/** Default for {@link GenerateOptions.maxNewTokens}. */
export const DEFAULT_MAX_NEW_TOKENS = 100;
/** Default for {@link GenerateOptions.temperature}. */
export const DEFAULT_TEMPERATURE = 1;
/** Default for {@link GenerateOptions.lengthPenalty} (as in Hugging Face). */
export const DEFAULT_LENGTH_PENALTY = 1;

/** Options for {@link generate} and {@link generateText}. */
export interface GenerateOptions {
  /** Tokens to generate per sequence (stop tokens and stop strings can end it sooner). Default: {@link DEFAULT_MAX_NEW_TOKENS} (100). May exceed `nPositions`: the window slides. */
  maxNewTokens?: number;
  /** Softmax temperature, >= 0; 0 means greedy decoding. Default: 1. */
  temperature?: number;
  /** Always pick the most likely token (after penalties). Default: false (sample), unless `temperature` is 0. */
  greedy?: boolean;
  /** Sample only among the `topK` most likely tokens (integer >= 1). Default: off. */
  topK?: number;
  /** Nucleus sampling: the smallest set of tokens with total probability >= `topP`, in (0, 1]. Default: 1 (off). */
  topP?: number;
  /** Drop tokens less likely than `minP` × the top token's probability, in [0, 1]. Default: 0 (off). */
  minP?: number;
  /** CTRL/Hugging Face repetition penalty over the whole sequence, > 0. Default: 1 (off). */
  repetitionPenalty?: number;
  /** OpenAI presence penalty over generated tokens. Default: 0. */
  presencePenalty?: number;
  /** OpenAI frequency penalty over generated tokens. Default: 0. */
  frequencyPenalty?: number;
  /** Forbid repeating any n-gram of this size (0 = off). Default: 0. */
  noRepeatNgramSize?: number;
  /** Stop a sequence when its text contains one of these; the stop string is not returned. Default: none. */
  stop?: readonly string[];
  /** Stop a sequence when it samples one of these ids. Default: the tokenizer's EOT token, if it has one. Pass `[]` to never stop on a token. */
  stopTokenIds?: readonly number[];
  /** Seed for the package's seeded RNG (`createRng` from `@gpt2/data/random`); the same seed gives the same tokens. Default: a random seed. */
  seed?: number;
  /** A custom uniform [0, 1) source; overrides `seed`. Default: none. */
  random?: RandomSource;
  /** Independent sequences sampled as one batch (or the number of beams returned). Default: 1. */
  numReturnSequences?: number;
  /** Beam search width; > 1 turns beam search on (deterministic, sampling options ignored). Default: 1. */
  numBeams?: number;
  /** Beam search: a finished beam scores `sum logprob / length ** lengthPenalty`. Default: 1. */
  lengthPenalty?: number;
  /** Beam search: stop as soon as `numBeams` beams have finished. Default: false. */
  earlyStopping?: boolean;
  /** Extra processors, run after the built-in penalties and before temperature/top-k/top-p/min-p. Default: none. */
  logitProcessors?: readonly LogitProcessor[];
  /** Abort generation; the iterator then throws the signal's reason. Default: none. */
  signal?: AbortSignal;
  /** Use the KV cache (feed only new tokens each step). Default: true. */
  useCache?: boolean;
  /** Tokens kept when the context reaches `nPositions` and the window slides, in [1, nPositions − 1]. Default: floor(nPositions / 2). */
  slideKeepTokens?: number;
}

/** Options after defaults and validation. */
export interface ResolvedGenerateOptions {
  maxNewTokens: number;
  greedy: boolean;
  temperature: number;
  topK: number | undefined;
  topP: number;
  minP: number;
  repetitionPenalty: number;
  presencePenalty: number;
  frequencyPenalty: number;
  noRepeatNgramSize: number;
  stop: readonly string[];
  stopTokenIds: ReadonlySet<number>;
  numReturnSequences: number;
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean;
  logitProcessors: readonly LogitProcessor[];
  useCache: boolean;
  slideKeepTokens: number;
}

function checkInteger(
  name: string,
  value: number,
  min: number,
  max = Number.POSITIVE_INFINITY,
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(`generate: ${name} must be an integer ${range}, got ${value}.`);
  }
}

function checkFinite(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`generate: ${name} must be a finite number, got ${value}.`);
  }
}

/** Fill in defaults and throw a `RangeError` naming the first bad option. */
export function resolveGenerateOptions(
  options: GenerateOptions,
  context: { nPositions: number; vocabSize: number; eotToken: number | undefined },
): ResolvedGenerateOptions {
  const maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  checkInteger('maxNewTokens', maxNewTokens, 0);
  const temperature = options.temperature ?? DEFAULT_TEMPERATURE;
  checkFinite('temperature', temperature);
  if (temperature < 0)
    throw new RangeError(`generate: temperature must be >= 0, got ${temperature}.`);
  if (options.topK !== undefined) checkInteger('topK', options.topK, 1);
  const topP = options.topP ?? 1;
  if (!(topP > 0 && topP <= 1))
    throw new RangeError(`generate: topP must be in (0, 1], got ${topP}.`);
  const minP = options.minP ?? 0;
  if (!(minP >= 0 && minP <= 1))
    throw new RangeError(`generate: minP must be in [0, 1], got ${minP}.`);
  const repetitionPenalty = options.repetitionPenalty ?? 1;
  checkFinite('repetitionPenalty', repetitionPenalty);
  if (repetitionPenalty <= 0) {
    throw new RangeError(`generate: repetitionPenalty must be > 0, got ${repetitionPenalty}.`);
  }
  const presencePenalty = options.presencePenalty ?? 0;
  checkFinite('presencePenalty', presencePenalty);
  const frequencyPenalty = options.frequencyPenalty ?? 0;
  checkFinite('frequencyPenalty', frequencyPenalty);
  const noRepeatNgramSize = options.noRepeatNgramSize ?? 0;
  checkInteger('noRepeatNgramSize', noRepeatNgramSize, 0);
  const stop = options.stop ?? [];
  for (const s of stop) {
    if (typeof s !== 'string' || s.length === 0) {
      throw new RangeError('generate: stop strings must be non-empty strings.');
    }
  }
  const stopTokenIds =
    options.stopTokenIds ?? (context.eotToken === undefined ? [] : [context.eotToken]);
  for (const id of stopTokenIds) checkInteger('each of stopTokenIds', id, 0, context.vocabSize - 1);
  const numReturnSequences = options.numReturnSequences ?? 1;
  checkInteger('numReturnSequences', numReturnSequences, 1);
  const numBeams = options.numBeams ?? 1;
  checkInteger('numBeams', numBeams, 1);
  if (numBeams > 1 && numReturnSequences > numBeams) {
    throw new RangeError(
      `generate: numReturnSequences (${numReturnSequences}) cannot exceed numBeams (${numBeams}).`,
    );
  }
  const lengthPenalty = options.lengthPenalty ?? DEFAULT_LENGTH_PENALTY;
  checkFinite('lengthPenalty', lengthPenalty);
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) {
    throw new RangeError(`generate: seed must be a safe integer, got ${options.seed}.`);
  }
  const slideKeepTokens = options.slideKeepTokens ?? Math.floor(context.nPositions / 2);
  checkInteger('slideKeepTokens', slideKeepTokens, 1, Math.max(1, context.nPositions - 1));
  return {
    maxNewTokens,
    greedy: options.greedy === true || temperature === 0,
    temperature,
    topK: options.topK,
    topP,
    minP,
    repetitionPenalty,
    presencePenalty,
    frequencyPenalty,
    noRepeatNgramSize,
    stop,
    stopTokenIds: new Set(stopTokenIds),
    numReturnSequences,
    numBeams,
    lengthPenalty,
    earlyStopping: options.earlyStopping ?? false,
    logitProcessors: options.logitProcessors ?? [],
    useCache: options.useCache ?? true,
    slideKeepTokens,
  };
}
