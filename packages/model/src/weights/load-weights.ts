/**
 * Loads a safetensors checkpoint into a model's variables, one tensor at a
 * time: the header is read and checked against the model first (names,
 * shapes, dtypes; one error listing every problem), then each tensor's bytes
 * are read, decoded to float32 and assigned.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isIgnoredBuffer, parameterName, TIED_HEAD_NAME } from './checkpoint-names.js';
import { DTYPE_BYTES, decodeFloat, type FloatDtype, isFloatDtype } from './dtypes.js';
import {
  type OpenSourceOptions,
  openSource,
  type SafetensorsReader,
  type SafetensorsSource,
} from './readers.js';
import { SafetensorsFormatError } from './safetensors-format-error.js';
import {
  parseHeader,
  readHeaderLength,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './safetensors-header.js';
import {
  type MisshapenTensor,
  WeightsMismatchError,
  type WrongDtypeTensor,
} from './weights-mismatch-error.js';

/** Anything with GPT-2-named variables: `GPT2Model` is one. */
export interface ParameterOwner {
  /** Trainable variables keyed by HF GPT-2 names without the `transformer.` prefix. */
  parameters(): Map<string, tf.Variable>;
}

/** Progress of a load, reported after each tensor. */
export interface LoadProgress {
  /** Bytes of tensor data read so far (tensors the model skips are not counted). */
  loadedBytes: number;
  /** Bytes of tensor data the model needs from the checkpoint. */
  totalBytes: number;
  /** The tensor just assigned (checkpoint name). */
  tensor: string;
}

/** Options of {@link loadWeights}. */
export interface LoadWeightsOptions extends OpenSourceOptions {
  /** Called after each tensor is assigned. Default: none. */
  onProgress?: (progress: LoadProgress) => void;
}

/** One tensor to read: where it goes, or `'tied-head'` for an lm_head copy to check against wte. */
interface LoadStep {
  entry: SafetensorsEntry;
  key: string;
  target: tf.Variable | 'tied-head';
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Matches checkpoint entries to parameters; throws one WeightsMismatchError listing every problem. */
export function planLoad(
  parameters: Map<string, tf.Variable>,
  header: SafetensorsHeader,
  source: string,
): LoadStep[] {
  const steps: LoadStep[] = [];
  const found = new Set<string>();
  const unexpected: string[] = [];
  const misshapen: MisshapenTensor[] = [];
  const wrongDtype: WrongDtypeTensor[] = [];
  const tiedHead = !parameters.has(TIED_HEAD_NAME) ? parameters.get('wte.weight') : undefined;

  for (const entry of header.entries) {
    const key = parameterName(entry.name);
    if (isIgnoredBuffer(key)) continue;
    const variable = parameters.get(key);
    const expected = variable?.shape ?? (key === TIED_HEAD_NAME ? tiedHead?.shape : undefined);
    if (expected === undefined || found.has(key)) {
      unexpected.push(entry.name); // unknown, or a second copy (with and without the prefix)
      continue;
    }
    found.add(key);
    let ok = true;
    if (!sameShape(entry.shape, expected)) {
      misshapen.push({ key, expectedShape: [...expected], actualShape: [...entry.shape] });
      ok = false;
    }
    if (!isFloatDtype(entry.dtype)) {
      wrongDtype.push({ key, dtype: entry.dtype });
      ok = false;
    }
    if (ok) steps.push({ entry, key, target: variable ?? 'tied-head' });
  }
  const missing = [...parameters.keys()].filter((key) => !found.has(key));
  if (missing.length + unexpected.length + misshapen.length + wrongDtype.length > 0) {
    throw new WeightsMismatchError({ source, missing, unexpected, misshapen, wrongDtype });
  }
  return steps;
}

/** Reads and validates the header through a reader. */
export async function readHeader(reader: SafetensorsReader): Promise<SafetensorsHeader> {
  const options = { source: reader.name, byteLength: reader.byteLength };
  const length = readHeaderLength(await reader.read(0, 8), options);
  const json = await reader.read(8, length);
  if (json.byteLength < length) {
    throw new SafetensorsFormatError({
      source: reader.name,
      message: `the source ended inside the header (${json.byteLength} of ${length} bytes): truncated.`,
    });
  }
  return parseHeader(json, options);
}

function tiesDiffer(a: Float32Array, b: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
  return false;
}

/**
 * Loads HF-layout safetensors weights into the model's variables.
 *
 * Accepts names with or without the `transformer.` prefix, F32/F16/BF16/F64
 * tensors (converted to float32), drops HF's `attn.bias`/`attn.masked_bias`
 * buffers, and checks a tied `lm_head.weight` against `wte.weight`. Before any
 * weight changes, a name/shape/dtype mismatch throws {@link WeightsMismatchError}
 * and a corrupt header {@link SafetensorsFormatError}. A body that ends early
 * (or an lm_head that differs from wte) is detected only when reached: the
 * model then holds a mix of old and new weights and should be reloaded.
 *
 * @example
 * ```ts
 * const model = GPT2Model.create(resolveConfig({ preset: 'gpt2' }));
 * await loadWeights(model, 'https://huggingface.co/openai-community/gpt2/resolve/main/model.safetensors');
 * ```
 */
export async function loadWeights(
  model: ParameterOwner,
  source: SafetensorsSource,
  options: LoadWeightsOptions = {},
): Promise<void> {
  const reader = await openSource(source, options);
  try {
    await loadFromReader(model, reader, options);
  } finally {
    await reader.close?.();
  }
}

async function loadFromReader(
  model: ParameterOwner,
  reader: SafetensorsReader,
  options: LoadWeightsOptions,
): Promise<void> {
  const source = reader.name;
  const header = await readHeader(reader);
  const steps = planLoad(model.parameters(), header, source);
  const totalBytes = steps.reduce((sum, step) => sum + step.entry.end - step.entry.begin, 0);
  const checkTie = steps.some((step) => step.target === 'tied-head');
  let wte: Float32Array | undefined;
  let head: Float32Array | undefined;
  let loadedBytes = 0;

  for (const step of steps) {
    const { entry } = step;
    const size = entry.end - entry.begin;
    const bytes = await reader.read(header.dataOffset + entry.begin, size);
    if (bytes.byteLength < size) {
      throw new SafetensorsFormatError({
        source,
        tensor: entry.name,
        message:
          `the data ends after ${header.dataOffset + entry.begin + bytes.byteLength} bytes, inside this tensor ` +
          `(the header says the file is ${header.dataOffset + header.dataLength} bytes): truncated.`,
      });
    }
    // planLoad admitted float dtypes only; every one becomes float32 here.
    const data = decodeFloat(
      entry.dtype as FloatDtype,
      bytes,
      (entry.end - entry.begin) / DTYPE_BYTES[entry.dtype]!,
    );
    if (step.target === 'tied-head') head = data;
    else {
      // tf.tensor keeps `data` (a fresh copy), the variable takes over its storage, the handle is released.
      const value = tf.tensor(data, entry.shape, 'float32');
      step.target.assign(value);
      value.dispose();
      if (checkTie && step.key === 'wte.weight') wte = data;
    }
    loadedBytes += size;
    options.onProgress?.({ loadedBytes, totalBytes, tensor: entry.name });
  }
  if (wte && head && tiesDiffer(wte, head)) {
    throw new WeightsMismatchError({
      source,
      conflicting: [`${TIED_HEAD_NAME} (differs from wte.weight, but the model ties them)`],
    });
  }
  if (reader.byteLength === undefined) await checkStreamEnd(reader, header, steps);
}

/**
 * For a source of unknown size (a stream without Content-Length): the data must
 * end exactly where the header says, neither earlier (inside tensors the model
 * skipped) nor later.
 */
async function checkStreamEnd(
  reader: SafetensorsReader,
  header: SafetensorsHeader,
  steps: LoadStep[],
): Promise<void> {
  const end = header.dataOffset + header.dataLength;
  const last = steps[steps.length - 1];
  const readUpTo = last === undefined ? header.dataOffset : header.dataOffset + last.entry.end;
  // Ask for the final byte (when not read yet) and one more: 2 means trailing bytes, 0 truncation.
  const from = readUpTo < end ? end - 1 : end;
  const tail = await reader.read(from, 2);
  const expected = end - from;
  if (tail.byteLength < expected) {
    throw new SafetensorsFormatError({
      source: reader.name,
      message: `the data ends before byte ${end}, where the header says the last tensor ends: truncated.`,
    });
  }
  if (tail.byteLength > expected) {
    throw new SafetensorsFormatError({
      source: reader.name,
      message: `bytes follow the last tensor (at ${end}); the header does not describe them.`,
    });
  }
}
