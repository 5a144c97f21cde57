/**
 * Writes a model as llm.c's `model.bin` (layout in llmc-format.ts), in the
 * same bytes as karpathy/llm.c's `train_gpt2.py` `write_model`: our Conv1D
 * matrices transposed to nn.Linear's [out, in], `wte` padded with zero rows to
 * Vp, float32 (version 3) or bfloat16 rounded to nearest even (version 5).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GPT2Config } from '../config.js';
import { ConfigError } from '../errors/config-error.js';
import { encodeBfloat16, encodeFloat } from '../weights/dtypes.js';
import {
  DEFAULT_LLMC_VOCAB_MULTIPLE,
  encodeLlmcHeader,
  LLMC_VERSION_BFLOAT16,
  LLMC_VERSION_FLOAT32,
  type LlmcDtype,
  type LlmcHeader,
  type LlmcLayout,
  llmcLayout,
  paddedVocabSize,
} from './llmc-format.js';

/** A GPT-2 with its config and HF-named variables: `GPT2Model` is one. */
export interface LlmcExportable {
  readonly config: GPT2Config;
  parameters(): Map<string, tf.Variable>;
}

/** Progress of an export or import, reported after each tensor slice. */
export interface LlmcProgress {
  /** llm.c's name of the tensor being written or read (`wte`, `qkvw`, …). */
  tensor: string;
  /** Body bytes done so far. */
  doneBytes: number;
  /** Body bytes in all. */
  totalBytes: number;
}

/** Options of {@link saveLlmcCheckpoint}. */
export interface SaveLlmcCheckpointOptions {
  /**
   * `'float32'` (version 3, exact; what `train_gpt2cu` built with
   * `PRECISION=FP32` reads) or `'bfloat16'` (version 5, what the default
   * `train_gpt2cu` build reads). Default {@link DEFAULT_LLMC_DTYPE}.
   */
  dtype?: LlmcDtype;
  /** Pad the vocabulary to a multiple of this. Default {@link DEFAULT_LLMC_VOCAB_MULTIPLE} (llm.c's 128). */
  vocabMultiple?: number;
  /** Called after each tensor slice is encoded. Default: none. */
  onProgress?: (progress: LlmcProgress) => void;
}

/** Exports are exact unless asked otherwise. */
export const DEFAULT_LLMC_DTYPE: LlmcDtype = 'float32';

/** llm.c hard-codes LayerNorm's epsilon (`layernorm_forward`: `1e-5f`). */
export const LLMC_LAYER_NORM_EPSILON = 1e-5;

/**
 * The header llm.c needs for a model of this config.
 * @throws ConfigError naming a config field llm.c cannot represent.
 */
export function llmcHeaderForConfig(
  config: GPT2Config,
  options: Pick<SaveLlmcCheckpointOptions, 'dtype' | 'vocabMultiple'> = {},
): LlmcHeader {
  const dtype = options.dtype ?? DEFAULT_LLMC_DTYPE;
  if (dtype !== 'float32' && dtype !== 'bfloat16') {
    throw new RangeError(
      `saveLlmcCheckpoint: dtype must be 'float32' or 'bfloat16', not ${String(dtype)}.`,
    );
  }
  const unsupported = (field: keyof GPT2Config, why: string) =>
    new ConfigError({
      field,
      value: config[field],
      message: `llm.c cannot represent this model: config.${field} is ${String(config[field])}; ${why}.`,
    });
  if (!config.bias)
    throw unsupported('bias', 'llm.c GPT-2 has biases in every Linear and LayerNorm');
  if (!config.tieWordEmbeddings)
    throw unsupported('tieWordEmbeddings', 'llm.c ties the output head to wte');
  if (config.positionEmbedding !== 'learned') {
    throw unsupported('positionEmbedding', "llm.c learns its position embeddings ('learned')");
  }
  if (config.layerNormEpsilon !== LLMC_LAYER_NORM_EPSILON) {
    throw unsupported('layerNormEpsilon', `llm.c's LayerNorm uses ${LLMC_LAYER_NORM_EPSILON}`);
  }
  return {
    version: dtype === 'float32' ? LLMC_VERSION_FLOAT32 : LLMC_VERSION_BFLOAT16,
    dtype,
    maxT: config.nPositions,
    V: config.vocabSize,
    L: config.nLayer,
    NH: config.nHead,
    C: config.nEmbd,
    Vp: paddedVocabSize(config.vocabSize, options.vocabMultiple ?? DEFAULT_LLMC_VOCAB_MULTIPLE),
  };
}

/** Our Conv1D [cols, rows] values as nn.Linear's row-major [rows, cols]. */
function toLinear(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let c = 0; c < cols; c++) {
    const from = c * rows;
    for (let r = 0; r < rows; r++) out[r * cols + c] = values[from + r]!;
  }
  return out;
}

/**
 * The body of the file, one tensor slice at a time, in file order. Reads
 * variables with `await data()`, so it works on every backend (WebGPU too).
 */
export async function* encodeLlmcBody(
  model: LlmcExportable,
  layout: LlmcLayout,
  onProgress?: (progress: LlmcProgress) => void,
): AsyncGenerator<Uint8Array> {
  const parameters = model.parameters();
  const { header } = layout;
  const totalBytes = layout.fileBytes - layout.tensors[0]!.byteOffset;
  let doneBytes = 0;
  for (const tensor of layout.tensors) {
    for (let slice = 0; slice < tensor.slices; slice++) {
      const name = tensor.parameter(slice);
      const variable = parameters.get(name);
      if (!variable)
        throw new RangeError(`saveLlmcCheckpoint: the model has no parameter ${name}.`);
      const data = await variable.data();
      if (!(data instanceof Float32Array)) {
        throw new TypeError(
          `saveLlmcCheckpoint: parameter ${name} is ${variable.dtype}, not float32.`,
        );
      }
      let values = tensor.linear ? toLinear(data, tensor.linear[0], tensor.linear[1]) : data;
      if (tensor.name === 'wte' && header.Vp > header.V) {
        // train_gpt2.py's pad_vocab: zero rows after the real vocabulary.
        const padded = new Float32Array(header.Vp * header.C);
        padded.set(values);
        values = padded;
      }
      if (values.length !== tensor.sliceElements) {
        throw new RangeError(
          `saveLlmcCheckpoint: parameter ${name} has ${values.length} elements, llm.c's ${tensor.name} slice ${tensor.sliceElements}.`,
        );
      }
      const bytes =
        header.dtype === 'float32' ? encodeFloat('F32', values) : encodeBfloat16(values);
      doneBytes += bytes.byteLength;
      yield bytes;
      onProgress?.({ tensor: tensor.name, doneBytes, totalBytes });
    }
  }
}

/**
 * The model as llm.c's `model.bin`, in memory (browser-safe). Node's
 * `saveLlmcCheckpointFile` (`@gpt2/model/node`) streams to a file instead.
 *
 * @example
 * ```ts
 * const bytes = await saveLlmcCheckpoint(model, { dtype: 'bfloat16' }); // for the default train_gpt2cu build
 * ```
 * @throws ConfigError when the model has no llm.c equivalent (no biases, untied head, sinusoidal positions, eps ≠ 1e-5).
 */
export async function saveLlmcCheckpoint(
  model: LlmcExportable,
  options: SaveLlmcCheckpointOptions = {},
): Promise<Uint8Array> {
  const layout = llmcLayout(llmcHeaderForConfig(model.config, options));
  const out = new Uint8Array(layout.fileBytes);
  out.set(encodeLlmcHeader(layout.header), 0);
  let offset = layout.tensors[0]!.byteOffset;
  for await (const bytes of encodeLlmcBody(model, layout, options.onProgress)) {
    out.set(bytes, offset);
    offset += bytes.byteLength;
  }
  return out;
}
