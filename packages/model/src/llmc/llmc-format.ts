/**
 * llm.c's model file, `model.bin` (karpathy/llm.c `train_gpt2.py`
 * `write_model`, read by `train_gpt2.c`/`.cu` `gpt2_build_from_checkpoint`,
 * also written during a run by `gpt2_write_to_checkpoint`):
 *
 *   header  256 little-endian int32: [0] magic 20240326, [1] version (3: every
 *           tensor float32; 5: every tensor bfloat16), [2] maxT, [3] V, [4] L,
 *           [5] NH, [6] C, [7] Vp (V padded up to a multiple of 128), rest 0
 *   body    16 tensors, back to back, in the order of {@link LLMC_TENSORS}.
 *           Per-layer tensors hold all L layers contiguously. Matrices are
 *           nn.Linear's [out, in], so our Conv1D [in, out] weights are
 *           transposed; `wte` has Vp rows, the padding rows being zero.
 */
import { LlmcFormatError } from './llmc-format-error.js';

/** First int32 of a model file. */
export const LLMC_MODEL_MAGIC = 20240326;
/** First int32 of a tokenizer file. */
export const LLMC_TOKENIZER_MAGIC = 20240328;
/** First int32 of a run's optimizer state file (`state_<step>_<rank>.bin`). */
export const LLMC_STATE_MAGIC = 20240527;
/** Every llm.c header is 256 int32s. */
export const LLMC_HEADER_INTS = 256;
export const LLMC_HEADER_BYTES = LLMC_HEADER_INTS * 4;
/** Model file version: float32 tensors, padded vocabulary. */
export const LLMC_VERSION_FLOAT32 = 3;
/** Model file version: bfloat16 tensors (LayerNorms too), padded vocabulary. */
export const LLMC_VERSION_BFLOAT16 = 5;
/** llm.c pads the vocabulary to a multiple of this ("friendlier" for GPU matmuls). */
export const DEFAULT_LLMC_VOCAB_MULTIPLE = 128;

/** Storage precision of a model file. */
export type LlmcDtype = 'float32' | 'bfloat16';

/** The header of a model file, with llm.c's field names. */
export interface LlmcHeader {
  version: typeof LLMC_VERSION_FLOAT32 | typeof LLMC_VERSION_BFLOAT16;
  /** `'float32'` for version 3, `'bfloat16'` for version 5. */
  dtype: LlmcDtype;
  /** Context length (our `nPositions`). */
  maxT: number;
  /** Vocabulary size (our `vocabSize`). */
  V: number;
  /** Layers (`nLayer`). */
  L: number;
  /** Attention heads (`nHead`). */
  NH: number;
  /** Channels (`nEmbd`). */
  C: number;
  /** Rows of the stored `wte`: V rounded up to a multiple of 128 by llm.c's exporters. */
  Vp: number;
}

/** One of llm.c's 16 parameter tensors, as it lies in the file. */
export interface LlmcTensor {
  /** llm.c's name (`wte`, `qkvw`, …). */
  name: string;
  /** Elements of one slice: a whole tensor, or one layer of a per-layer tensor. */
  sliceElements: number;
  /** Slices: L for per-layer tensors, else 1. */
  slices: number;
  /** Byte offset of the tensor's first element in the file. */
  byteOffset: number;
  /** Bytes of the whole tensor (all slices). */
  byteLength: number;
  /** Our parameter for slice `i` (HF name without `transformer.`). */
  parameter(slice: number): string;
  /**
   * For matrices stored as nn.Linear [out, in]: the stored [rows, cols]; our
   * Conv1D parameter is its transpose. Undefined for tensors stored as ours.
   */
  linear: [number, number] | undefined;
}

/** The whole file's layout. */
export interface LlmcLayout {
  header: LlmcHeader;
  /** Bytes per stored element: 4 (float32) or 2 (bfloat16). */
  elementBytes: 4 | 2;
  tensors: LlmcTensor[];
  /** Stored elements, padding rows included (llm.c's `num_parameters`). */
  numParameters: number;
  /** Header plus body: the exact size of a valid file. */
  fileBytes: number;
}

type Shape = (h: LlmcHeader) => { slice: number; slices: number; linear?: [number, number] };

/**
 * llm.c's `ParameterTensors`, in file order: name, our parameter, and shape
 * (llm.c's `fill_in_parameter_sizes`).
 */
export const LLMC_TENSORS: ReadonlyArray<{ name: string; parameter: string; shape: Shape }> = [
  { name: 'wte', parameter: 'wte.weight', shape: (h) => ({ slice: h.Vp * h.C, slices: 1 }) },
  { name: 'wpe', parameter: 'wpe.weight', shape: (h) => ({ slice: h.maxT * h.C, slices: 1 }) },
  { name: 'ln1w', parameter: 'ln_1.weight', shape: (h) => ({ slice: h.C, slices: h.L }) },
  { name: 'ln1b', parameter: 'ln_1.bias', shape: (h) => ({ slice: h.C, slices: h.L }) },
  {
    name: 'qkvw',
    parameter: 'attn.c_attn.weight',
    shape: (h) => ({ slice: 3 * h.C * h.C, slices: h.L, linear: [3 * h.C, h.C] }),
  },
  { name: 'qkvb', parameter: 'attn.c_attn.bias', shape: (h) => ({ slice: 3 * h.C, slices: h.L }) },
  {
    name: 'attprojw',
    parameter: 'attn.c_proj.weight',
    shape: (h) => ({ slice: h.C * h.C, slices: h.L, linear: [h.C, h.C] }),
  },
  { name: 'attprojb', parameter: 'attn.c_proj.bias', shape: (h) => ({ slice: h.C, slices: h.L }) },
  { name: 'ln2w', parameter: 'ln_2.weight', shape: (h) => ({ slice: h.C, slices: h.L }) },
  { name: 'ln2b', parameter: 'ln_2.bias', shape: (h) => ({ slice: h.C, slices: h.L }) },
  {
    name: 'fcw',
    parameter: 'mlp.c_fc.weight',
    shape: (h) => ({ slice: 4 * h.C * h.C, slices: h.L, linear: [4 * h.C, h.C] }),
  },
  { name: 'fcb', parameter: 'mlp.c_fc.bias', shape: (h) => ({ slice: 4 * h.C, slices: h.L }) },
  {
    name: 'fcprojw',
    parameter: 'mlp.c_proj.weight',
    shape: (h) => ({ slice: 4 * h.C * h.C, slices: h.L, linear: [h.C, 4 * h.C] }),
  },
  { name: 'fcprojb', parameter: 'mlp.c_proj.bias', shape: (h) => ({ slice: h.C, slices: h.L }) },
  { name: 'lnfw', parameter: 'ln_f.weight', shape: (h) => ({ slice: h.C, slices: 1 }) },
  { name: 'lnfb', parameter: 'ln_f.bias', shape: (h) => ({ slice: h.C, slices: 1 }) },
];

/** V rounded up to a multiple of `multiple` (llm.c's `pad_vocab`: 50,257 → 50,304). */
export function paddedVocabSize(V: number, multiple = DEFAULT_LLMC_VOCAB_MULTIPLE): number {
  if (!Number.isSafeInteger(multiple) || multiple < 1) {
    throw new RangeError(`paddedVocabSize: multiple must be a positive integer, got ${multiple}.`);
  }
  return Math.ceil(V / multiple) * multiple;
}

/** The file layout a header describes. */
export function llmcLayout(header: LlmcHeader): LlmcLayout {
  const elementBytes = header.dtype === 'float32' ? 4 : 2;
  let offset = LLMC_HEADER_BYTES;
  let numParameters = 0;
  const tensors = LLMC_TENSORS.map(({ name, parameter, shape }): LlmcTensor => {
    const { slice, slices, linear } = shape(header);
    const tensor: LlmcTensor = {
      name,
      sliceElements: slice,
      slices,
      byteOffset: offset,
      byteLength: slice * slices * elementBytes,
      parameter: slices === 1 ? () => parameter : (layer) => `h.${layer}.${parameter}`,
      linear,
    };
    offset += tensor.byteLength;
    numParameters += slice * slices;
    return tensor;
  });
  return { header, elementBytes, tensors, numParameters, fileBytes: offset };
}

/** The 1,024-byte header of a model file. */
export function encodeLlmcHeader(header: LlmcHeader): Uint8Array {
  const bytes = new Uint8Array(LLMC_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  const values = [
    LLMC_MODEL_MAGIC,
    header.version,
    header.maxT,
    header.V,
    header.L,
    header.NH,
    header.C,
    header.Vp,
  ];
  for (const [i, value] of values.entries()) view.setInt32(i * 4, value, true);
  return bytes;
}

/** Where the header came from and how long the file is, for checks and messages. */
export interface LlmcParseOptions {
  /** Name in error messages (path, URL). Default `'buffer'`. */
  source?: string;
  /** Size of the whole file when known: it must match the header exactly. */
  byteLength?: number | undefined;
}

/**
 * Reads and checks a model file's header: magic, version, every size field,
 * and (when the file size is known) that the file is exactly as long as the
 * header implies.
 *
 * @throws LlmcFormatError naming the field at fault.
 */
export function parseLlmcHeader(bytes: Uint8Array, options: LlmcParseOptions = {}): LlmcHeader {
  const source = options.source ?? 'buffer';
  const fail = (
    field: string,
    problem: 'bad-magic' | 'unknown-version' | 'bad-field' | 'truncated',
    message: string,
    values: { expected?: number | string; actual?: number | string } = {},
  ) => new LlmcFormatError({ source, field, problem, message, ...values });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const int = (i: number) => view.getInt32(i * 4, true);
  if (bytes.byteLength < 4) {
    throw fail('magic', 'truncated', `the file has ${bytes.byteLength} bytes, no header.`);
  }
  const magic = int(0);
  if (magic !== LLMC_MODEL_MAGIC) {
    const hint =
      magic === LLMC_TOKENIZER_MAGIC
        ? ' (this is a tokenizer file)'
        : magic === LLMC_STATE_MAGIC
          ? ' (this is a run state file; its model file is model_<step>.bin)'
          : magic === 20240520
            ? ' (this is a token shard)'
            : '';
    throw fail(
      'magic',
      'bad-magic',
      `magic number ${magic}, expected ${LLMC_MODEL_MAGIC} (an llm.c model file)${hint}.`,
      { expected: LLMC_MODEL_MAGIC, actual: magic },
    );
  }
  if (bytes.byteLength < LLMC_HEADER_BYTES) {
    throw fail(
      'header',
      'truncated',
      `the file ends after ${bytes.byteLength} bytes, inside the ${LLMC_HEADER_BYTES}-byte header.`,
      { expected: LLMC_HEADER_BYTES, actual: bytes.byteLength },
    );
  }
  const version = int(1);
  if (version !== LLMC_VERSION_FLOAT32 && version !== LLMC_VERSION_BFLOAT16) {
    throw fail(
      'version',
      'unknown-version',
      `version ${version}; known: ${LLMC_VERSION_FLOAT32} (float32) and ${LLMC_VERSION_BFLOAT16} (bfloat16), both with a padded vocabulary. ` +
        'Older llm.c files (versions 1, 2 and 4, before May 2024) must be re-exported with current llm.c.',
      { actual: version },
    );
  }
  const header: LlmcHeader = {
    version,
    dtype: version === LLMC_VERSION_FLOAT32 ? 'float32' : 'bfloat16',
    maxT: int(2),
    V: int(3),
    L: int(4),
    NH: int(5),
    C: int(6),
    Vp: int(7),
  };
  for (const field of ['maxT', 'V', 'L', 'NH', 'C'] as const) {
    if (header[field] < 1) {
      throw fail(field, 'bad-field', `${field} is ${header[field]}; it must be at least 1.`, {
        actual: header[field],
      });
    }
  }
  if (header.C % header.NH !== 0) {
    throw fail('NH', 'bad-field', `C (${header.C}) is not divisible by NH (${header.NH}).`, {
      actual: header.NH,
    });
  }
  if (header.Vp < header.V) {
    throw fail(
      'Vp',
      'bad-field',
      `Vp (${header.Vp}) is smaller than V (${header.V})` +
        (header.Vp === 0 ? ': a file from before llm.c padded the vocabulary; re-export it.' : '.'),
      { actual: header.Vp },
    );
  }
  if (options.byteLength !== undefined)
    checkFileSize(llmcLayout(header), options.byteLength, source);
  return header;
}

/**
 * The file must be exactly as long as the header implies.
 * @throws LlmcFormatError: `truncated` naming the tensor the file ends in, or `size-mismatch`.
 */
export function checkFileSize(layout: LlmcLayout, byteLength: number, source: string): void {
  if (byteLength === layout.fileBytes) return;
  const described = `the header (${layout.header.dtype}, V ${layout.header.V}, Vp ${layout.header.Vp}, L ${layout.header.L}, C ${layout.header.C}, maxT ${layout.header.maxT}) implies ${layout.fileBytes} bytes`;
  if (byteLength < layout.fileBytes) {
    const tensor = layout.tensors.find((t) => byteLength < t.byteOffset + t.byteLength);
    throw new LlmcFormatError({
      source,
      field: tensor?.name ?? 'header',
      problem: 'truncated',
      message: `the file has ${byteLength} bytes but ${described}: truncated inside tensor ${tensor?.name}.`,
      expected: layout.fileBytes,
      actual: byteLength,
    });
  }
  throw new LlmcFormatError({
    source,
    field: 'size',
    problem: 'size-mismatch',
    message: `the file has ${byteLength} bytes but ${described}; ${byteLength - layout.fileBytes} bytes follow the last tensor.`,
    expected: layout.fileBytes,
    actual: byteLength,
  });
}
