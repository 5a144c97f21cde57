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
 * Keys and values of past positions, per layer, for incremental decoding.
 * Each layer holds keys and values [length, B, C], position-major with the
 * heads side by side (as the qkv projection writes them): appending positions
 * appends rows, which lets a backend with the `GPT2Block` kernel (the native
 * backend) keep the cache in one preallocated buffer and write each new
 * position in place, instead of copying the whole cache every step.
 * `GPT2Model.forward` extends it; {@link KVCache.crop} shortens it so a sampler
 * can slide its window; {@link KVCache.select} reorders its sequences.
 * Holds tensors: call {@link KVCache.dispose} when done.
 */
export class KVCache {
  readonly nLayer: number;
  /** The model's context length: the most positions the cache holds. */
  readonly nPositions: number;
  #batchSize: number;
  #length = 0;
  #keys: (tf.Tensor3D | undefined)[];
  #values: (tf.Tensor3D | undefined)[];
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

  /** Sequences held (the batch axis); {@link KVCache.select} changes it. */
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
   * One layer's keys and values [length, B, C] (position-major), or undefined
   * while nothing is cached. Owned by the cache: do not dispose them.
   */
  get(layer: number): { keys: tf.Tensor3D; values: tf.Tensor3D } | undefined {
    this.#assertLive();
    const keys = this.#keys[layer];
    const values = this.#values[layer];
    return keys && values ? { keys, values } : undefined;
  }

  /**
   * Make `keys` and `values` [length + T, B, C] the layer's cache (kept out of
   * any enclosing `tf.tidy`), disposing the ones they replace: the model calls
   * this with what the `GPT2Block` kernel returns. The length advances with
   * {@link KVCache.advance} after the last layer.
   */
  set(layer: number, keys: tf.Tensor3D, values: tf.Tensor3D): void {
    this.#assertLive();
    const oldK = this.#keys[layer];
    const oldV = this.#values[layer];
    this.#keys[layer] = tf.keep(keys);
    this.#values[layer] = tf.keep(values);
    if (oldK !== keys) oldK?.dispose();
    if (oldV !== values) oldV?.dispose();
  }

  /**
   * Append one layer's new keys and values [T, B, C] and return the whole
   * [length + T, B, C] tensors (owned by the cache). The model calls this once
   * per layer on backends without the `GPT2Block` kernel.
   */
  append(layer: number, k: tf.Tensor3D, v: tf.Tensor3D): { k: tf.Tensor3D; v: tf.Tensor3D } {
    this.#assertLive();
    const oldK = this.#keys[layer];
    const oldV = this.#values[layer];
    // tfjs has no in-place write, so growing by concat (one O(length) copy)
    // is the cheapest functional update: on wasm, gpt2 at length 512, 0.1 ms
    // per tensor (~5% of a decode step), while writing into a preallocated
    // buffer with tf.where measured 74 ms. (The native backend's GPT2Block
    // kernel appends in place instead.)
    const newK = oldK ? tf.concat([oldK, k], 0) : k; // [length + T, B, C]
    const newV = oldV ? tf.concat([oldV, v], 0) : v; // [length + T, B, C]
    this.set(layer, newK, newV);
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
    const keep = (t: tf.Tensor3D) => tf.keep(tf.slice(t, [0, 0, 0], [length, -1, -1])); // [length, B, C]
    for (let layer = 0; layer < this.nLayer; layer++) {
      const k = this.#keys[layer];
      const v = this.#values[layer];
      if (!k || !v) continue;
      this.#keys[layer] = length === 0 ? undefined : keep(k);
      this.#values[layer] = length === 0 ? undefined : keep(v);
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
      this.#keys[layer] = tf.keep(tf.gather(k, indices, 1)); // [length, B', C]
      this.#values[layer] = tf.keep(tf.gather(v, indices, 1)); // [length, B', C]
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
