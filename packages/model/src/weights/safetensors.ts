/**
 * In-memory safetensors codec: a whole file as bytes ↔ named float32/int32
 * arrays. For streaming loads into a model, see `loadWeights`.
 */
import {
  decodeFloat,
  decodeFloat64,
  decodeInt,
  encodeExact,
  encodeFloat,
  isFloatDtype,
  isIntDtype,
} from './dtypes.js';
import { SafetensorsFormatError } from './safetensors-format-error.js';
import {
  encodeHeader,
  parseHeader,
  readHeaderLength,
  type SafetensorsEntry,
} from './safetensors-header.js';

/**
 * A decoded tensor: F32/F16/BF16 become float32, F64 stays float64 (reference
 * scalars are stored in F64 to keep their precision), I32/I64 become int32.
 */
export interface SafetensorsTensor {
  /** The dtype stored in the file. */
  dtype: string;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array;
}

/** A decoded file. */
export interface SafetensorsFile {
  /** The `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
  /** Tensors in file order. */
  tensors: Map<string, SafetensorsTensor>;
}

/** Options of {@link readSafetensors}. */
export interface ReadSafetensorsOptions {
  /** Name used in error messages. Default `'buffer'`. */
  source?: string;
}

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /** Written as `__metadata__` (string values). Default: none. */
  metadata?: Record<string, string>;
}

/** A tensor to write: float32 data is stored as F32 (default) or F16; float64 as F64; int32 as I32. */
export interface SafetensorsInput {
  shape: number[];
  data: Float32Array | Float64Array | Int32Array;
  /** Storage dtype for float data. Default `'F32'`. */
  dtype?: 'F32' | 'F16';
}

/** Decodes one tensor's bytes (exactly `entry.end - entry.begin` of them); F64 stays float64. */
export function decodeEntry(
  entry: SafetensorsEntry,
  bytes: Uint8Array,
  source: string,
): Float32Array | Float64Array | Int32Array {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  if (entry.dtype === 'F64') return decodeFloat64(bytes, count);
  if (isFloatDtype(entry.dtype)) return decodeFloat(entry.dtype, bytes, count);
  if (isIntDtype(entry.dtype)) {
    const decoded = decodeInt(entry.dtype, bytes, count);
    if (decoded instanceof Int32Array) return decoded;
    throw new SafetensorsFormatError({
      source,
      tensor: entry.name,
      message: `I64 element ${decoded.outOfRange} does not fit in int32.`,
    });
  }
  throw new TypeError(
    `${source}: tensor "${entry.name}" has dtype ${entry.dtype}, which this reader does not decode (F32, F16, BF16, F64, I32, I64).`,
  );
}

/** Parses, validates and decodes a whole safetensors file held in memory. */
export function readSafetensors(
  bytes: Uint8Array | ArrayBuffer,
  options: ReadSafetensorsOptions = {},
): SafetensorsFile {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const source = options.source ?? 'buffer';
  const headerLength = readHeaderLength(data.subarray(0, 8), {
    source,
    byteLength: data.byteLength,
  });
  const header = parseHeader(data.subarray(8, 8 + headerLength), {
    source,
    byteLength: data.byteLength,
  });
  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of header.entries) {
    const raw = data.subarray(header.dataOffset + entry.begin, header.dataOffset + entry.end);
    tensors.set(entry.name, {
      dtype: entry.dtype,
      shape: entry.shape,
      data: decodeEntry(entry, raw, source),
    });
  }
  return { metadata: header.metadata, tensors };
}

/** Encodes tensors (in iteration order) as one safetensors file. */
export function writeSafetensors(
  tensors: Iterable<[string, SafetensorsInput]> | Record<string, SafetensorsInput>,
  options: WriteSafetensorsOptions = {},
): Uint8Array {
  const list = Symbol.iterator in tensors ? [...tensors] : Object.entries(tensors);
  const bodies: Uint8Array[] = [];
  const specs = list.map(([name, tensor]) => {
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (count !== tensor.data.length) {
      throw new RangeError(
        `${name}: shape [${tensor.shape.join(', ')}] has ${count} elements, data has ${tensor.data.length}.`,
      );
    }
    if (tensor.data instanceof Int32Array || tensor.data instanceof Float64Array) {
      bodies.push(encodeExact(tensor.data));
      return {
        name,
        dtype: tensor.data instanceof Int32Array ? 'I32' : 'F64',
        shape: tensor.shape,
      };
    }
    const dtype = tensor.dtype ?? 'F32';
    bodies.push(encodeFloat(dtype, tensor.data));
    return { name, dtype, shape: tensor.shape };
  });
  const { bytes: head, header } = encodeHeader(specs, options.metadata);
  const out = new Uint8Array(header.dataOffset + header.dataLength);
  out.set(head, 0);
  let position = header.dataOffset;
  for (const body of bodies) {
    out.set(body, position);
    position += body.byteLength;
  }
  return out;
}
