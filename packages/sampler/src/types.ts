import type { EncodeOptions } from '@gpt2/tokenizer';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * The part of `@gpt2/model`'s `KVCache` the sampler uses. Declared here, not
 * imported, so that any model with the same shape (a test double, a future
 * model class) can be sampled from.
 */
export interface SamplerKVCache {
  /** Tokens held per row. */
  readonly length: number;
  /**
   * Keep the rows `batchIndices` of the batch, in that order (rows may repeat).
   * Optional: without it, beam search re-encodes the window when beams reorder.
   */
  select?(batchIndices: readonly number[]): void;
  dispose(): void;
}

/** The part of `@gpt2/model`'s `GPT2Model` the sampler uses. */
export interface SamplerModel {
  readonly config: { readonly nPositions: number; readonly vocabSize: number };
  /**
   * ids int32 [B, T] -> logits float32 [B, T, V]. With a cache, ids are the new tokens only.
   * The sampler asks for `lastPositionOnly` (logits [B, 1, V]); a model may ignore it and
   * return all T positions.
   */
  forward(
    ids: tf.Tensor2D,
    options?: { cache?: SamplerKVCache; lastPositionOnly?: boolean },
  ): tf.Tensor3D;
  createKVCache(batchSize: number): SamplerKVCache;
}

/** The part of `@gpt2/tokenizer`'s `Tokenizer` the sampler uses. */
export interface SamplerTokenizer {
  readonly eotToken: number | undefined;
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: ArrayLike<number>): string;
  createStreamDecoder(): { push(id: number): string; flush(): string };
}

/** A source of uniform random numbers in [0, 1); `createRng` from `@gpt2/data/random` is one. */
export interface RandomSource {
  nextFloat(): number;
}

/** Why a sequence stopped. */
export type FinishReason = 'length' | 'stop-token' | 'stop-string';

/** One generated token of one sequence. */
export interface TokenEvent {
  type: 'token';
  /** Row index, 0 … numReturnSequences − 1. */
  sequence: number;
  /** 0-based index of this token among the sequence's new tokens. */
  step: number;
  tokenId: number;
  /**
   * Text that became final with this token (from the streaming decoder, with
   * any text that could still turn into a stop string held back): may be ''.
   */
  text: string;
  /** Natural log of the token's probability under the model itself (raw logits, temperature 1, before any processor). */
  logprob: number;
}

/** Something the caller should know about that does not stop generation. */
export interface WarningEvent {
  type: 'warning';
  code: 'prompt-truncated';
  message: string;
  /** Prompt tokens dropped from the left. */
  droppedTokens: number;
}

/** The context reached `nPositions`: the oldest tokens were dropped and the cache rebuilt. */
export interface SlideEvent {
  type: 'slide';
  /** Tokens kept (re-encoded). */
  keptTokens: number;
  /** Tokens dropped from the left of the window. */
  droppedTokens: number;
}

/** A sequence is complete. */
export interface FinishEvent {
  type: 'finish';
  sequence: number;
  reason: FinishReason;
  /** The whole generated text (prompt excluded, stop string and what follows removed). */
  text: string;
  /**
   * Text released only at the end (bytes the streaming decoder or the stop
   * matcher still held): concatenating every token event's `text` and then
   * this gives `text`.
   */
  flushedText: string;
  /** Generated token ids (prompt and stop token excluded). */
  tokenIds: number[];
  /** Per-token model logprobs, aligned with `tokenIds`. */
  logprobs: number[];
  /** Beam search only: the length-normalised beam score. */
  score?: number;
}

/** What {@link generate} yields. */
export type GenerationEvent = TokenEvent | WarningEvent | SlideEvent | FinishEvent;
