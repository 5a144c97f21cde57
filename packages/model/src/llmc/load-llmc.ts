/**
 * Reads llm.c's `model.bin` (version 3 or 5, see llmc-format.ts) into a new
 * model, one tensor slice at a time, optionally taking the float32 master
 * weights of a run's state files instead of the file's own (bfloat16) values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type GPT2Config, validateConfig } from '../config.js';
import { GPT2Model } from '../model.js';
import { PRESETS } from '../presets.js';
import { decodeFloat } from '../weights/dtypes.js';
import {
  type OpenSourceOptions,
  openSource,
  type SafetensorsReader,
  type SafetensorsSource,
} from '../weights/readers.js';
import {
  checkFileSize,
  LLMC_HEADER_BYTES,
  type LlmcHeader,
  type LlmcLayout,
  llmcLayout,
  parseLlmcHeader,
} from './llmc-format.js';
import { LlmcFormatError } from './llmc-format-error.js';
import { type MasterWeightsPlan, planMasterWeights, readMasterSlice } from './llmc-state.js';
import type { LlmcProgress } from './save-llmc.js';

/** Config fields an llm.c file does not store (dropout); the rest come from its header. */
export type LlmcConfigOverrides = Partial<
  Pick<GPT2Config, 'embdPdrop' | 'attnPdrop' | 'residPdrop'>
>;

/** Options of {@link loadLlmcCheckpoint}. */
export interface LoadLlmcCheckpointOptions extends OpenSourceOptions {
  /** Dropout for later training. Default 0 everywhere: llm.c trains without dropout. */
  config?: LlmcConfigOverrides;
  /** Seed for dropout during later training. Default: the model's `DEFAULT_SEED`. */
  seed?: number;
  /**
   * The run's state files for the same step (`state_<step>_<rank>.bin`, every
   * rank when the run used ZeRO-1): their float32 master weights replace the
   * model file's values. Sources of known size (bytes, Blob, file reader).
   * Default: none (the model file's values).
   */
  states?: SafetensorsSource[];
  /** Called after each tensor slice is assigned. Default: none. */
  onProgress?: (progress: LlmcProgress) => void;
}

/** What {@link loadLlmcCheckpoint} returns. */
export interface LlmcCheckpoint {
  model: GPT2Model;
  header: LlmcHeader;
  /** Where the weights came from: the model file, or the state files' float32 master weights. */
  weights: 'model-file' | 'master-weights';
  /** Why the state files given were not used (a run with `-w 0`), when they were not. */
  masterWeightsUnavailable?: string;
}

/** Our config for an llm.c header: GPT-2's (eps 1e-5, tied, biased, learned positions), no dropout. */
export function configFromLlmcHeader(
  header: LlmcHeader,
  overrides: LlmcConfigOverrides = {},
): GPT2Config {
  return validateConfig({
    ...PRESETS.gpt2,
    vocabSize: header.V,
    nPositions: header.maxT,
    nEmbd: header.C,
    nLayer: header.L,
    nHead: header.NH,
    embdPdrop: 0,
    attnPdrop: 0,
    residPdrop: 0,
    ...overrides,
  });
}

/** Reads a model file's header through a reader; checks the file size when the reader knows it. */
export async function readLlmcHeader(reader: SafetensorsReader): Promise<LlmcHeader> {
  return parseLlmcHeader(await reader.read(0, LLMC_HEADER_BYTES), {
    source: reader.name,
    byteLength: reader.byteLength,
  });
}

/** nn.Linear's row-major [rows, cols] as our Conv1D [cols, rows]. */
function fromLinear(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[from + c]!;
  }
  return out;
}

async function readSlice(
  reader: SafetensorsReader,
  layout: LlmcLayout,
  tensorIndex: number,
  slice: number,
): Promise<Float32Array> {
  const tensor = layout.tensors[tensorIndex]!;
  const length = tensor.sliceElements * layout.elementBytes;
  const offset = tensor.byteOffset + slice * length;
  const bytes = await reader.read(offset, length);
  if (bytes.byteLength < length) {
    throw new LlmcFormatError({
      source: reader.name,
      field: tensor.name,
      problem: 'truncated',
      message: `the file ends after ${offset + bytes.byteLength} bytes, inside tensor ${tensor.name}; the header implies ${layout.fileBytes}.`,
      expected: layout.fileBytes,
      actual: offset + bytes.byteLength,
    });
  }
  return decodeFloat(
    layout.header.dtype === 'float32' ? 'F32' : 'BF16',
    bytes,
    tensor.sliceElements,
  );
}

/** For a stream of unknown size: nothing may follow the last tensor. */
async function checkNothingFollows(reader: SafetensorsReader, layout: LlmcLayout): Promise<void> {
  if (reader.byteLength !== undefined) return; // checked against the header up front
  const extra = await reader.read(layout.fileBytes, 1);
  if (extra.byteLength > 0) checkFileSize(layout, layout.fileBytes + extra.byteLength, reader.name);
}

/**
 * Loads llm.c's `model.bin` (float32 version 3 or bfloat16 version 5; from
 * `train_gpt2.py`, or written by `train_gpt2cu` during a run as
 * `model_<step>.bin`) into a new {@link GPT2Model}. The padding rows of `wte`
 * are dropped; bfloat16 values become float32 exactly.
 *
 * @example
 * ```ts
 * const { model } = await loadLlmcCheckpoint(await (await fetch('gpt2_124M.bin')).arrayBuffer());
 * ```
 * @throws LlmcFormatError naming the header field or tensor: wrong magic,
 *   unknown version, bad sizes, a truncated file, or one longer than its header says.
 */
export async function loadLlmcCheckpoint(
  source: SafetensorsSource,
  options: LoadLlmcCheckpointOptions = {},
): Promise<LlmcCheckpoint> {
  const reader = await openSource(source, options);
  const states: SafetensorsReader[] = [];
  let model: GPT2Model | undefined;
  try {
    const header = await readLlmcHeader(reader);
    const layout = llmcLayout(header);
    for (const state of options.states ?? []) states.push(await openSource(state, {}));
    let master: MasterWeightsPlan | undefined;
    let masterWeightsUnavailable: string | undefined;
    if (states.length > 0) {
      const plan = await planMasterWeights(layout, states);
      if ('unavailable' in plan) masterWeightsUnavailable = plan.unavailable;
      else master = plan;
    }
    const config = configFromLlmcHeader(header, options.config);
    // 'zeros': no random init for weights about to be overwritten.
    model = GPT2Model.create(config, { seed: options.seed, init: 'zeros' });
    const parameters = model.parameters();
    const totalBytes = layout.fileBytes - LLMC_HEADER_BYTES;
    let doneBytes = 0;
    for (const [index, tensor] of layout.tensors.entries()) {
      for (let slice = 0; slice < tensor.slices; slice++) {
        // The model file is read even when master weights replace it: its size and sanity are checked the same.
        const stored = await readSlice(reader, layout, index, slice);
        let values = master ? await readMasterSlice(master, layout, index, slice) : stored;
        if (tensor.linear) values = fromLinear(values, tensor.linear[0], tensor.linear[1]);
        if (tensor.name === 'wte') values = values.slice(0, header.V * header.C);
        const variable = parameters.get(tensor.parameter(slice))!;
        const value = tf.tensor(values, variable.shape, 'float32');
        variable.assign(value);
        value.dispose();
        doneBytes += tensor.sliceElements * layout.elementBytes;
        options.onProgress?.({ tensor: tensor.name, doneBytes, totalBytes });
      }
    }
    await checkNothingFollows(reader, layout);
    return {
      model,
      header,
      weights: master ? 'master-weights' : 'model-file',
      ...(masterWeightsUnavailable !== undefined ? { masterWeightsUnavailable } : {}),
    };
  } catch (error) {
    model?.dispose();
    throw error;
  } finally {
    await reader.close?.();
    for (const state of states) await state.close?.();
  }
}
