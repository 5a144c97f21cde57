import * as tf from '@tensorflow/tfjs-core';
import { causalAttentionChain, causalMask } from './causal-attention.js';
import { defineKernelContract } from './contract.js';
import { geluForwardChain } from './gelu.js';
import { layerNormForwardChain } from './layer-norm.js';

/** Inputs of {@link GPT2_BLOCK}: the new positions, the block's weights (HF names and Conv1D layout), the cache. */
export interface GPT2BlockInputs {
  /** The residual stream at the new positions, [B, T, C]. */
  x: tf.Tensor3D;
  /** `ln_1.weight` [C]. */
  ln1Gamma: tf.Tensor1D;
  /** `ln_1.bias` [C]; absent without biases. */
  ln1Beta?: tf.Tensor1D;
  /** `attn.c_attn.weight` [C, 3C]: q, k, v side by side. */
  attnWeight: tf.Tensor2D;
  /** `attn.c_attn.bias` [3C]. */
  attnBias?: tf.Tensor1D;
  /** `attn.c_proj.weight` [C, C]. */
  attnProjWeight: tf.Tensor2D;
  /** `attn.c_proj.bias` [C]. */
  attnProjBias?: tf.Tensor1D;
  /** `ln_2.weight` [C]. */
  ln2Gamma: tf.Tensor1D;
  /** `ln_2.bias` [C]. */
  ln2Beta?: tf.Tensor1D;
  /** `mlp.c_fc.weight` [C, 4C]. */
  fcWeight: tf.Tensor2D;
  /** `mlp.c_fc.bias` [4C]. */
  fcBias?: tf.Tensor1D;
  /** `mlp.c_proj.weight` [4C, C]. */
  mlpProjWeight: tf.Tensor2D;
  /** `mlp.c_proj.bias` [C]. */
  mlpProjBias?: tf.Tensor1D;
  /**
   * Keys of the L earlier positions, position-major [L, B, C] (heads side by
   * side, as c_attn writes them); absent before the first position.
   */
  pastKeys?: tf.Tensor3D;
  /** Values of the earlier positions, [L, B, C]; present exactly when `pastKeys` is. */
  pastValues?: tf.Tensor3D;
}

/** Attributes of {@link GPT2_BLOCK}. */
export interface GPT2BlockAttrs {
  /** Attention heads H (C divisible by H). */
  nHead: number;
  /** LayerNorm ε (GPT-2: 1e-5). */
  epsilon: number;
  /**
   * Positions the cache may grow to (the model's context length). Numbers do
   * not depend on it: a backend that grows the cache in place reserves this
   * much when it has to allocate.
   */
  capacity: number;
}

/** x [N, in] @ W [in, out] + b (HF Conv1D). */
function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D | undefined): tf.Tensor2D {
  const y = tf.matMul(x, weight) as tf.Tensor2D; // [N, out]
  return bias ? (tf.add(y, bias) as tf.Tensor2D) : y;
}

/**
 * The chain of {@link GPT2_BLOCK}: GPT-2's pre-LN block as @gpt2/model writes
 * it, with the cache kept position-major. Call inside `tf.tidy`.
 */
export function gpt2BlockChain(
  inputs: GPT2BlockInputs,
  attrs: Pick<GPT2BlockAttrs, 'nHead' | 'epsilon'>,
): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  const { x, pastKeys, pastValues } = inputs;
  const [B, T, C] = x.shape;
  const H = attrs.nHead;
  const D = C / H;
  const h = layerNormForwardChain(x, inputs.ln1Gamma, inputs.ln1Beta, attrs.epsilon).y; // [B, T, C]
  const qkv = linear(tf.reshape(h, [B * T, C]), inputs.attnWeight, inputs.attnBias); // [B*T, 3C]
  const [q, k, v] = tf.split(qkv, 3, -1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // [B*T, C] each
  const byPosition = (t: tf.Tensor2D) =>
    tf.transpose(tf.reshape(t, [B, T, C]), [1, 0, 2]) as tf.Tensor3D; // [T, B, C]
  const keys = pastKeys ? tf.concat([pastKeys, byPosition(k)], 0) : byPosition(k); // [L+T, B, C]
  const values = pastValues ? tf.concat([pastValues, byPosition(v)], 0) : byPosition(v); // [L+T, B, C]
  const Tk = keys.shape[0];
  const heads = (t: tf.Tensor3D) =>
    tf.transpose(tf.reshape(t, [Tk, B, H, D]), [1, 2, 0, 3]) as tf.Tensor4D; // [B, H, Tk, D]
  const query = tf.transpose(tf.reshape(q, [B, T, H, D]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, H, T, D]
  const { y } = causalAttentionChain(query, heads(keys), heads(values), 1 / Math.sqrt(D), {
    ...(T > 1 ? { mask: causalMask(T, Tk) } : {}), // [T, Tk]
  }); // [B, H, T, D]
  const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, C]) as tf.Tensor2D; // [B*T, C]
  const attended = linear(merged, inputs.attnProjWeight, inputs.attnProjBias); // [B*T, C]
  const x1 = tf.add(x, tf.reshape(attended, [B, T, C])) as tf.Tensor3D; // [B, T, C]
  const h2 = layerNormForwardChain(x1, inputs.ln2Gamma, inputs.ln2Beta, attrs.epsilon).y; // [B, T, C]
  const hidden = geluForwardChain(
    linear(tf.reshape(h2, [B * T, C]), inputs.fcWeight, inputs.fcBias),
  ).y as tf.Tensor2D; // [B*T, 4C]
  const out = linear(hidden, inputs.mlpProjWeight, inputs.mlpProjBias); // [B*T, C]
  return [tf.add(x1, tf.reshape(out, [B, T, C])) as tf.Tensor3D, keys, values];
}

/**
 * One GPT-2 block (pre-LN, GPT-2 §2.3) over T new positions of B sequences
 * after L cached ones, for inference with a KV cache:
 *   x1 = x + c_proj(attention(LN1(x))),  y = x1 + mlp_c_proj(GELU(c_fc(LN2(x1))))
 * where new position t sees the cached positions and new ones up to itself.
 * Outputs [y [B, T, C], keys [L+T, B, C], values [L+T, B, C]]: the past with
 * the new positions' keys and values appended (position-major, so appending
 * appends rows: a backend may keep the cache in one buffer and write the new
 * rows in place, returning a longer view of it, since no tensor sees past
 * its own length; the past tensors' values never change). No dropout and no
 * gradient: for training, the model runs its layers one by one.
 *
 * One kernel per block and token is what makes decoding fast on a CPU: the
 * step reads each weight once, and the few dozen kernel launches per block
 * of the op chain cost more than the arithmetic for small models.
 */
export const GPT2_BLOCK = defineKernelContract<
  GPT2BlockInputs,
  GPT2BlockAttrs,
  [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D]
>({
  name: 'GPT2Block',
  inputNames: [
    'x',
    'ln1Gamma',
    'ln1Beta?',
    'attnWeight',
    'attnBias?',
    'attnProjWeight',
    'attnProjBias?',
    'ln2Gamma',
    'ln2Beta?',
    'fcWeight',
    'fcBias?',
    'mlpProjWeight',
    'mlpProjBias?',
    'pastKeys?',
    'pastValues?',
  ],
  outputNames: ['y', 'keys', 'values'],
  tolerance: 2e-5,
  reference(inputs, attrs) {
    return gpt2BlockChain(inputs, attrs);
  },
});
