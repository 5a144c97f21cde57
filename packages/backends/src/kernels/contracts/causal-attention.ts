import * as tf from '@tensorflow/tfjs-core';
import { defineKernelContract } from './contract.js';

/**
 * Additive mask value for future positions. Large and finite, so that
 * (−1e9) − max stays finite in softmax and no 0·∞ NaN reaches the gradient;
 * in float16 it becomes −∞, which is still safe because every row keeps its
 * diagonal unmasked.
 */
export const CAUSAL_MASK_VALUE = -1e9;

/**
 * The additive causal mask [Tq, Tk] for Tq queries that are the last Tq of Tk
 * positions: 0 where key j ≤ Tk − Tq + i (query i's own position), −1e9
 * after it. Built from constants: the gradient of `tf.linalg.bandPart` throws.
 */
export function causalMask(queries: number, keys: number): tf.Tensor2D {
  const values = new Float32Array(queries * keys);
  const offset = keys - queries;
  for (let i = 0; i < queries; i++) {
    values.fill(CAUSAL_MASK_VALUE, i * keys + offset + i + 1, (i + 1) * keys);
  }
  return tf.tensor2d(values, [queries, keys]);
}

/** Options for {@link causalAttentionChain}. */
export interface CausalAttentionChainOptions {
  /** The additive mask [Tq, Tk] (see {@link causalMask}); absent: every key is visible. */
  mask?: tf.Tensor2D;
  /** Applied to the attention probabilities (dropout when training). */
  dropout?: (probabilities: tf.Tensor4D) => tf.Tensor4D;
}

/**
 * softmax(q·scale·kᵀ + mask)·v for q [B, H, Tq, D], k and v [B, H, Tk, D].
 * Scales q rather than the scores: the same factor, on a tensor Tk/D times
 * smaller. Returns y [B, H, Tq, D] and the masked scores [B, H, Tq, Tk].
 */
export function causalAttentionChain(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  scale: number,
  options: CausalAttentionChainOptions = {},
): { y: tf.Tensor4D; scores: tf.Tensor4D } {
  const query = tf.mul(q, scale); // [B, H, Tq, D]
  let scores = tf.matMul(query, k, false, true) as tf.Tensor4D; // [B, H, Tq, Tk]
  if (options.mask) scores = tf.add(scores, options.mask); // [B, H, Tq, Tk]
  let probabilities = tf.softmax(scores) as tf.Tensor4D; // [B, H, Tq, Tk]
  if (options.dropout) probabilities = options.dropout(probabilities);
  return { y: tf.matMul(probabilities, v) as tf.Tensor4D, scores }; // [B, H, Tq, D]
}

/** Inputs of {@link CAUSAL_ATTENTION}. */
export interface CausalAttentionInputs {
  /** Queries [B, H, Tq, D]: the last Tq of the Tk positions. */
  q: tf.Tensor4D;
  /** Keys [B, H, Tk, D], Tk ≥ Tq (longer with a KV cache). */
  k: tf.Tensor4D;
  /** Values [B, H, Tk, D]. */
  v: tf.Tensor4D;
}

/** Attributes of {@link CAUSAL_ATTENTION} and {@link CAUSAL_ATTENTION_GRAD}. */
export interface CausalAttentionAttrs {
  /** Multiplies q·kᵀ (GPT-2: 1/√D). */
  scale: number;
}

/** Inputs of {@link CAUSAL_ATTENTION_GRAD}. */
export interface CausalAttentionGradInputs extends CausalAttentionInputs {
  /** The upstream gradient of y, [B, H, Tq, D]. */
  dy: tf.Tensor4D;
  /** The forward output, [B, H, Tq, D]. */
  y: tf.Tensor4D;
  /** The forward pass's row log-sum-exp of the masked, scaled scores, [B, H, Tq]. */
  logsumexp: tf.Tensor3D;
}

/**
 * Causal self-attention, softmax(scale·q·kᵀ + mask)·v, where query i sees
 * keys 0 … Tk − Tq + i. Outputs [y [B, H, Tq, D], logsumexp [B, H, Tq]]; the
 * log-sum-exp of each row lets the gradient rebuild the probabilities without
 * a [B, H, Tq, Tk] tensor kept from the forward pass.
 */
export const CAUSAL_ATTENTION = defineKernelContract<
  CausalAttentionInputs,
  CausalAttentionAttrs,
  [tf.Tensor4D, tf.Tensor3D]
>({
  name: 'CausalAttention',
  inputNames: ['q', 'k', 'v'],
  outputNames: ['y', 'logsumexp'],
  tolerance: 1e-5,
  reference({ q, k, v }, { scale }) {
    const mask = causalMask(q.shape[2], k.shape[2]);
    const { y, scores } = causalAttentionChain(q, k, v, scale, { mask });
    return [y, tf.logSumExp(scores, -1) as tf.Tensor3D];
  },
});

/**
 * The gradient of {@link CAUSAL_ATTENTION}: outputs [dq, dk, dv]. With
 * P = exp(scale·q·kᵀ + mask − logsumexp) and Δ = rowsum(dy ∘ y):
 *   dv = Pᵀ·dy;  dS = P ∘ (dy·vᵀ − Δ);  dq = scale·dS·k;  dk = scale·dSᵀ·q.
 */
export const CAUSAL_ATTENTION_GRAD = defineKernelContract<
  CausalAttentionGradInputs,
  CausalAttentionAttrs,
  [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]
>({
  name: 'CausalAttentionGrad',
  inputNames: ['dy', 'q', 'k', 'v', 'y', 'logsumexp'],
  outputNames: ['dq', 'dk', 'dv'],
  tolerance: 1e-5,
  reference({ dy, q, k, v, y, logsumexp }, { scale }) {
    const mask = causalMask(q.shape[2], k.shape[2]);
    const scores = tf.add(tf.matMul(tf.mul(q, scale), k, false, true), mask); // [B, H, Tq, Tk]
    const p = tf.exp(tf.sub(scores, tf.expandDims(logsumexp, -1))); // [B, H, Tq, Tk]
    const dv = tf.matMul(p, dy, true, false) as tf.Tensor4D; // [B, H, Tk, D]
    const delta = tf.sum(tf.mul(dy, y), -1, true); // [B, H, Tq, 1]
    const ds = tf.mul(p, tf.sub(tf.matMul(dy, v, false, true), delta)); // [B, H, Tq, Tk]
    const dq = tf.mul(tf.matMul(ds, k), scale) as tf.Tensor4D; // [B, H, Tq, D]
    const dk = tf.mul(tf.matMul(ds, q, true, false), scale) as tf.Tensor4D; // [B, H, Tk, D]
    return [dq, dk, dv];
  },
});
