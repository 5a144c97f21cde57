import * as tf from '@tensorflow/tfjs-core';
import type { SamplerKVCache, SamplerModel } from './types.js';

/** Options for {@link TokenWindow}. */
export interface TokenWindowOptions {
  /** Feed only new tokens through a KV cache. */
  useCache: boolean;
  /** Tokens kept when the window slides. */
  slideKeepTokens: number;
}

/** The next-token logits of every row, and whether the window slid to get them. */
export interface WindowLogits {
  /** Row-major [B, V] logits at the last position. */
  logits: Float32Array;
  /** Set when the oldest tokens were dropped before this step. */
  slide?: { keptTokens: number; droppedTokens: number };
}

/**
 * The model's view of a batch of growing sequences, all of one length.
 *
 * GPT-2's position embeddings are absolute, so when a sequence reaches
 * `nPositions` the cache cannot just drop its oldest entries: the kept tokens
 * would sit at the wrong positions. Instead the window restarts at the last
 * `slideKeepTokens` tokens, which are re-encoded from position 0 (one
 * forward pass of that many tokens), and grows again from there. The uncached
 * path uses the very same windows, so both paths see identical contexts and
 * pick identical tokens.
 */
export class TokenWindow {
  readonly #model: SamplerModel;
  readonly #options: TokenWindowOptions;
  #rows: number[][];
  #windowStart = 0;
  #cache: SamplerKVCache | undefined;

  constructor(model: SamplerModel, rows: number[][], options: TokenWindowOptions) {
    const length = rows[0]?.length ?? 0;
    if (length === 0 || rows.some((row) => row.length !== length)) {
      throw new RangeError('TokenWindow: rows must be non-empty and of equal length.');
    }
    this.#model = model;
    this.#options = options;
    this.#rows = rows;
  }

  /** The full sequences (never cropped), one per row. */
  get rows(): readonly (readonly number[])[] {
    return this.#rows;
  }

  /** Append one token to every row. */
  append(tokens: readonly number[]): void {
    for (const [row, token] of tokens.entries()) this.#rows[row]?.push(token);
  }

  /**
   * Replace the rows (beam search reorders them). `parents[i]` is the old row
   * that new row i extends by its last token: the cache keeps those rows
   * (`select`), or, for a cache without `select`, is dropped and rebuilt on
   * the next step.
   */
  replaceRows(rows: number[][], parents?: readonly number[]): void {
    this.#rows = rows;
    if (this.#cache?.select && parents?.length === rows.length) {
      this.#cache.select(parents);
      return;
    }
    this.#cache?.dispose();
    this.#cache = undefined;
  }

  /** Run the model on what it has not seen yet and return the logits for the next token. */
  async nextLogits(): Promise<WindowLogits> {
    const { nPositions, vocabSize } = this.#model.config;
    const length = this.#rows[0]?.length ?? 0;
    let slide: WindowLogits['slide'];
    if (length - this.#windowStart > nPositions) {
      const newStart = length - this.#options.slideKeepTokens;
      slide = { keptTokens: length - newStart, droppedTokens: newStart - this.#windowStart };
      this.#windowStart = newStart;
      this.#cache?.dispose();
      this.#cache = undefined;
    }
    let from = this.#windowStart;
    if (this.#options.useCache) {
      this.#cache ??= this.#model.createKVCache(this.#rows.length);
      from += this.#cache.length;
    }
    const batch = this.#rows.length;
    const time = length - from;
    const flat = new Int32Array(batch * time);
    this.#rows.forEach((row, b) => {
      for (let t = 0; t < time; t++) flat[b * time + t] = row[from + t] as number;
    });
    const input = tf.tensor2d(flat, [batch, time], 'int32');
    let logits: tf.Tensor3D;
    try {
      logits = this.#model.forward(input, {
        lastPositionOnly: true,
        ...(this.#cache ? { cache: this.#cache } : {}),
      });
    } finally {
      input.dispose();
    }
    // [B, 1, V], or [B, T, V] from a model that ignores lastPositionOnly.
    const at = (logits.shape[1] as number) - 1;
    // A decode step's [B, 1, V] needs no slice: the reshape shares its storage (one kernel less per token).
    const last = tf.tidy(() =>
      tf.reshape(at === 0 ? logits : tf.slice(logits, [0, at, 0], [batch, 1, vocabSize]), [
        batch,
        vocabSize,
      ]),
    ); // [B, V]
    logits.dispose();
    try {
      // `data()` rather than `dataSync()`: WebGPU in Node cannot read synchronously.
      const values = (await last.data()) as Float32Array;
      return slide ? { logits: values, slide } : { logits: values };
    } finally {
      last.dispose();
    }
  }

  dispose(): void {
    this.#cache?.dispose();
    this.#cache = undefined;
  }
}
