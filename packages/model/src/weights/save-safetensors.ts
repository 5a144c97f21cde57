/**
 * Writes a model's weights as Hugging Face GPT-2 safetensors: HF names without
 * prefix, Conv1D [in, out] layout, no `lm_head.weight` (tied to `wte.weight`;
 * transformers re-ties it on load), and `__metadata__.format = 'pt'`, which
 * `GPT2LMHeadModel.from_pretrained` requires.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { encodeFloat } from './dtypes.js';
import type { ParameterOwner } from './load-weights.js';
import { encodeHeader, type SafetensorsHeader } from './safetensors-header.js';

/** Options of {@link saveSafetensors}. */
export interface SaveSafetensorsOptions {
  /** Extra `__metadata__` entries (string values). `format` is always `'pt'`. Default: none. */
  metadata?: Record<string, string>;
  /** Storage dtype: `'F32'` (exact) or `'F16'` (half the size, rounded). Default {@link DEFAULT_SAVE_DTYPE}. */
  dtype?: 'F32' | 'F16';
}

/** Weights are saved exactly, as float32, unless asked otherwise. */
export const DEFAULT_SAVE_DTYPE = 'F32';

/** The file layout for a model: the encoded header and the variables in data order. */
export interface SafetensorsPlan {
  headerBytes: Uint8Array;
  header: SafetensorsHeader;
  dtype: 'F32' | 'F16';
  tensors: Array<{ name: string; variable: tf.Variable }>;
}

/** Lays out a model's parameters (in `parameters()` order) as a safetensors file. */
export function planSafetensors(
  model: ParameterOwner,
  options: SaveSafetensorsOptions = {},
): SafetensorsPlan {
  const dtype = options.dtype ?? DEFAULT_SAVE_DTYPE;
  if (dtype !== 'F32' && dtype !== 'F16')
    throw new RangeError(`saveSafetensors: dtype must be 'F32' or 'F16', not ${String(dtype)}.`);
  const tensors = [...model.parameters()].map(([name, variable]) => ({ name, variable }));
  const { bytes, header } = encodeHeader(
    tensors.map(({ name, variable }) => ({ name, dtype, shape: variable.shape })),
    { ...options.metadata, format: 'pt' },
  );
  return { headerBytes: bytes, header, dtype, tensors };
}

/**
 * One variable's bytes in the file's dtype. Reads with `await data()` (never
 * `dataSync`), which works on every backend, WebGPU included.
 */
export async function encodeVariable(
  variable: tf.Variable,
  dtype: 'F32' | 'F16',
): Promise<Uint8Array> {
  const values = await variable.data();
  if (!(values instanceof Float32Array)) {
    throw new TypeError(
      `saveSafetensors: variable ${variable.name} is ${variable.dtype}, not float32.`,
    );
  }
  return encodeFloat(dtype, values);
}

/**
 * The model's weights as one safetensors file in memory (browser-safe). For
 * large models in Node, `saveModelFolder` from `@gpt2/model/node` streams
 * tensor by tensor instead.
 */
export async function saveSafetensors(
  model: ParameterOwner,
  options: SaveSafetensorsOptions = {},
): Promise<Uint8Array> {
  const plan = planSafetensors(model, options);
  const out = new Uint8Array(plan.header.dataOffset + plan.header.dataLength);
  out.set(plan.headerBytes, 0);
  for (const [i, { variable }] of plan.tensors.entries()) {
    const entry = plan.header.entries[i]!;
    out.set(await encodeVariable(variable, plan.dtype), plan.header.dataOffset + entry.begin);
  }
  return out;
}
