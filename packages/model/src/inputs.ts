import * as tf from '@tensorflow/tfjs-core';
import { TokenIdError } from './errors/token-id-error.js';

/** Token ids: an int32 tensor [B, T] or nested arrays of integers. */
export type TokenIds = tf.Tensor2D | ArrayLike<number>[];

// Backends whose tensors live in host memory: reading ids back costs a copy of
// B·T ints, not a GPU round trip, so the range check is cheap there.
const HOST_BACKENDS = new Set(['cpu', 'wasm', 'native', 'tensorflow']);

/** Options for {@link toTokenTensor}. */
export interface ToTokenTensorOptions {
  /** Input name for error messages (`'ids'`, `'targets'`). */
  input: string;
  vocabSize: number;
  /** One extra value accepted besides [0, vocabSize), e.g. the loss's ignore index. */
  allowed?: number;
}

function checkId(value: number, options: ToTokenTensorOptions, b: number, t: number): void {
  if (Number.isInteger(value) && value >= 0 && value < options.vocabSize) return;
  if (value === options.allowed) return;
  throw new TokenIdError({
    input: options.input,
    value,
    vocabSize: options.vocabSize,
    position: [b, t],
  });
}

/**
 * Validate token ids and return them as an int32 tensor [B, T]. Arrays are
 * checked element by element. Tensors must be int32 and rank 2; their values
 * are range-checked on host-memory backends (cpu, wasm, node), and not on GPU
 * backends, where reading them back would stall the pipeline (there, gather
 * returns zeros for an out-of-range id).
 *
 * @throws TypeError for the wrong type, rank or dtype; RangeError for an empty
 *   or ragged batch; TokenIdError (a RangeError) for a bad id.
 */
export function toTokenTensor(ids: TokenIds, options: ToTokenTensorOptions): tf.Tensor2D {
  const { input } = options;
  if (ids instanceof tf.Tensor) {
    if (ids.rank !== 2) {
      throw new TypeError(`${input} must have shape [B, T], got rank ${ids.rank} [${ids.shape}].`);
    }
    if (ids.dtype !== 'int32') {
      throw new TypeError(`${input} must be an int32 tensor, got ${ids.dtype}.`);
    }
    if (ids.size === 0) throw new RangeError(`${input} is empty: shape [${ids.shape}].`);
    if (HOST_BACKENDS.has(tf.getBackend())) {
      const values = ids.dataSync();
      const T = ids.shape[1];
      for (let i = 0; i < values.length; i++) {
        checkId(values[i]!, options, Math.floor(i / T), i % T);
      }
    }
    return ids;
  }
  if (!Array.isArray(ids)) {
    throw new TypeError(`${input} must be an int32 tf.Tensor2D or an array of rows of token ids.`);
  }
  const B = ids.length;
  const T = ids[0]?.length ?? 0;
  if (B === 0 || T === 0)
    throw new RangeError(`${input} is empty: need at least one row and column.`);
  const flat = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const row = ids[b];
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
      throw new TypeError(`${input}[${b}] must be an array of token ids.`);
    }
    if (row.length !== T) {
      throw new RangeError(`${input} is ragged: row 0 has ${T} ids, row ${b} has ${row.length}.`);
    }
    for (let t = 0; t < T; t++) {
      const value = row[t]!;
      checkId(value, options, b, t);
      flat[b * T + t] = value;
    }
  }
  return tf.tensor2d(flat, [B, T], 'int32');
}
