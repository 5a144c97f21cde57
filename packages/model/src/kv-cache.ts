import * as tf from '@tensorflow/tfjs-core';

/** Options for constructing a {@link KVCache} (use `model.createKVCache(batchSize)`). */
export interface KVCacheOptions {
  /** Number of transformer blocks the cache serves. */
  nLayer: number;
  /** Sequences decoded together. */
  batchSize: number;
  /** The model's context length; the cache never grows past it. */
  nPositions: number;
}

/**
 * Keys and values of past positions, per layer, for incremental decoding:
 * k and v are [B, nHead, length, headDim]. `GPT2Model.forward` extends it in
 * place; {@link KVCache.crop} shortens it so a sampler can slide its window.
 * Holds tensors: call {@link KVCache.dispose} when done.
 */
export class KVCache {
  readonly nLayer: number;
  readonly nPositions: number;
  #batchSize: number;
  #length = 0;
  #keys: (tf.Tensor4D | undefined)[];
  #values: (tf.Tensor4D | undefined)[];
  #disposed = false;

  constructor(options: KVCacheOptions) {
    for (const field of ['nLayer', 'batchSize', 'nPositions'] as const) {
      if (!Number.isSafeInteger(options[field]) || options[field] < 1) {
        throw new RangeError(
          `KVCache: ${field} must be a positive integer, got ${options[field]}.`,
        );
      }
    }
    this.#batchSize = options.batchSize;
    this.nLayer = options.nLayer;
    this.nPositions = options.nPositions;
    this.#keys = new Array(options.nLayer).fill(undefined);
    this.#values = new Array(options.nLayer).fill(undefined);
  }

  /** Sequences held (rows of the batch axis); {@link KVCache.select} changes it. */
  get batchSize(): number {
    return this.#batchSize;
  }

  /** Positions cached so far (the next token's position). */
  get length(): number {
    return this.#length;
  }

  /** True after {@link KVCache.dispose}. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /**
   * Append one layer's new keys and values [B, nHead, T, headDim] and return
   * the whole [B, nHead, length + T, headDim] tensors. The returned tensors are
   * owned by the cache (kept out of any enclosing `tf.tidy`); the ones they
   * replace are disposed. Called by the model once per layer; the length
   * advances with {@link KVCache.advance} after the last layer.
   */
  append(layer: number, k: tf.Tensor4D, v: tf.Tensor4D): { k: tf.Tensor4D; v: tf.Tensor4D } {
    this.#assertLive();
    const oldK = this.#keys[layer];
    const oldV = this.#values[layer];
    // tfjs has no in-place write, so growing by concat (one O(length) copy)
    // is the cheapest functional update: on wasm, gpt2 at length 512, 0.1 ms
    // per tensor (~5% of a decode step), while writing into a preallocated
    // [B, nh, nPositions, hd] buffer with tf.where measured 74 ms.
    const newK = oldK ? tf.concat([oldK, k], 2) : k; // [B, nh, length + T, hd]
    const newV = oldV ? tf.concat([oldV, v], 2) : v; // [B, nh, length + T, hd]
    tf.keep(newK);
    tf.keep(newV);
    oldK?.dispose();
    oldV?.dispose();
    this.#keys[layer] = newK;
    this.#values[layer] = newV;
    return { k: newK, v: newV };
  }

  /** Record that `count` new positions were appended to every layer. */
  advance(count: number): void {
    this.#length += count;
  }

  /** Keep only the first `length` positions (disposing the rest). */
  crop(length: number): void {
    this.#assertLive();
    if (!Number.isInteger(length) || length < 0 || length > this.#length) {
      throw new RangeError(
        `KVCache.crop: length must be an integer in [0, ${this.#length}], got ${length}.`,
      );
    }
    if (length === this.#length) return;
    for (let layer = 0; layer < this.nLayer; layer++) {
      const k = this.#keys[layer];
      const v = this.#values[layer];
      if (!k || !v) continue;
      const [B, nh, , hd] = k.shape;
      this.#keys[layer] = length === 0 ? undefined : tf.keep(tf.slice(k, 0, [B, nh, length, hd]));
      this.#values[layer] = length === 0 ? undefined : tf.keep(tf.slice(v, 0, [B, nh, length, hd]));
      k.dispose();
      v.dispose();
    }
    this.#length = length;
  }

  /**
   * Keep the rows `batchIndices` of the batch, in that order (a row may be
   * repeated): row i becomes old row `batchIndices[i]`, and `batchSize`
   * becomes `batchIndices.length`. Beam search calls this when beams reorder,
   * instead of re-encoding the context.
   */
  select(batchIndices: readonly number[]): void {
    this.#assertLive();
    if (
      batchIndices.length === 0 ||
      batchIndices.some((i) => !Number.isInteger(i) || i < 0 || i >= this.#batchSize)
    ) {
      throw new RangeError(
        `KVCache.select: batchIndices must be a non-empty list of integers in [0, ${this.#batchSize}), got [${batchIndices.join(', ')}].`,
      );
    }
    const indices = tf.tensor1d(batchIndices as number[], 'int32');
    for (let layer = 0; layer < this.nLayer; layer++) {
      const k = this.#keys[layer];
      const v = this.#values[layer];
      if (!k || !v) continue;
      this.#keys[layer] = tf.keep(tf.gather(k, indices, 0)); // [B', nh, length, hd]
      this.#values[layer] = tf.keep(tf.gather(v, indices, 0)); // [B', nh, length, hd]
      k.dispose();
      v.dispose();
    }
    indices.dispose();
    this.#batchSize = batchIndices.length;
  }

  /** Release every cached tensor. The cache cannot be used afterwards. */
  dispose(): void {
    for (const t of [...this.#keys, ...this.#values]) t?.dispose();
    this.#keys.fill(undefined);
    this.#values.fill(undefined);
    this.#length = 0;
    this.#disposed = true;
  }

  #assertLive(): void {
    if (this.#disposed) throw new Error('KVCache: used after dispose().');
  }
}
