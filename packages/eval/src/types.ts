import type { EncodeOptions } from '@gpt2/tokenizer';
import type * as tf from '@tensorflow/tfjs-core';

/** The part of `@gpt2/model`'s `GPT2Model` that scoring needs (any model of that shape works). */
export interface ScoringModel {
  readonly config: { readonly nPositions: number; readonly vocabSize: number };
  /** ids int32 [B, T] -> logits float32 [B, T, V]. */
  forward(ids: tf.Tensor2D): tf.Tensor3D;
}

/** The part of `@gpt2/tokenizer`'s `Tokenizer` that evaluation needs. */
export interface EvalTokenizer {
  readonly eotToken: number | undefined;
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: ArrayLike<number>): string;
  createStreamDecoder(): { push(id: number): string; flush(): string };
}

/** Fired as a long evaluation advances. */
export interface ProgressEvent {
  /** Which evaluation: 'perplexity', 'lambada', 'hellaswag', 'generation'. */
  task: string;
  /** Units done (windows, examples or prompts). */
  done: number;
  /** Units in all, when known in advance. */
  total: number | undefined;
  /** Seconds since the evaluation started. */
  elapsedSeconds: number;
}

/** A callback for {@link ProgressEvent}s. */
export type ProgressCallback = (event: ProgressEvent) => void;

/**
 * Encode evaluation data as plain text. Datasets are text: a literal
 * `<|endoftext|>` in a document is characters to score, not a control token,
 * so the tokenizer's special-token guard is off here.
 */
export function encodePlain(tokenizer: EvalTokenizer, text: string): number[] {
  return tokenizer.encode(text, { disallowedSpecial: [] });
}
