/**
 * The safetensors header (https://github.com/huggingface/safetensors#format):
 * an 8-byte little-endian length N, then N bytes of JSON mapping each tensor
 * name to `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative to
 * the first byte after the header), plus an optional `__metadata__` string map.
 * Validation follows the reference implementation: tensors must tile the data
 * section exactly (start at 0, no overlap, no gap, nothing after the last one).
 */
import { DTYPE_BYTES } from './dtypes.js';
import { SafetensorsFormatError } from './safetensors-format-error.js';

/** One tensor of a safetensors file. Offsets are relative to the start of the data section. */
export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** A parsed, validated header. */
export interface SafetensorsHeader {
  /** Absolute offset of the data section: 8 + header length. */
  dataOffset: number;
  /** Length of the data section, as the entries describe it. */
  dataLength: number;
  /** The `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
  /** Every tensor, in the order its bytes appear in the file. */
  entries: SafetensorsEntry[];
}

/** The reference implementation refuses headers over 100 MB; a larger length means corrupt bytes. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Where the bytes came from, for messages, and the total size when known. */
export interface HeaderParseOptions {
  /** Name used in error messages (file path, URL, `'buffer'`). Default `'buffer'`. */
  source?: string;
  /** Total size of the file in bytes, when known: the header and data are checked against it. */
  byteLength?: number;
}

/** Reads the 8-byte header length and checks it against the file size. */
export function readHeaderLength(first8: Uint8Array, options: HeaderParseOptions = {}): number {
  const source = options.source ?? 'buffer';
  if (first8.byteLength < 8) {
    throw new SafetensorsFormatError({
      source,
      message: `${first8.byteLength} bytes is too short for a safetensors file (the header length alone takes 8).`,
    });
  }
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const length = high * 2 ** 32 + low;
  if (length < 2 || length > MAX_HEADER_BYTES) {
    throw new SafetensorsFormatError({
      source,
      message:
        `header length ${length} is not plausible (2 to ${MAX_HEADER_BYTES} bytes); ` +
        'this is not a safetensors file, or its first bytes are corrupt.',
    });
  }
  if (options.byteLength !== undefined && 8 + length > options.byteLength) {
    throw new SafetensorsFormatError({
      source,
      message: `header length ${length} runs past the end of the file (${options.byteLength} bytes): truncated or corrupt.`,
    });
  }
  return length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Parses and validates the header JSON (the N bytes after the length). */
export function parseHeader(json: Uint8Array, options: HeaderParseOptions = {}): SafetensorsHeader {
  const source = options.source ?? 'buffer';
  const fail = (message: string, tensor?: string, cause?: unknown): never => {
    throw new SafetensorsFormatError({ source, message, tensor, cause });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (error) {
    fail(
      `the ${json.byteLength}-byte header is not valid UTF-8 JSON (${String(error)}).`,
      undefined,
      error,
    );
  }
  if (!isRecord(parsed)) return fail('the header is not a JSON object.');

  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (!isRecord(value)) return fail('__metadata__ is not an object.');
      for (const [key, item] of Object.entries(value)) {
        if (typeof item !== 'string') fail(`__metadata__.${key} is not a string.`);
        metadata[key] = item as string;
      }
      continue;
    }
    if (!isRecord(value)) return fail('the entry is not an object.', name);
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== 'string' || DTYPE_BYTES[dtype] === undefined) {
      return fail(`unknown dtype ${JSON.stringify(dtype)}.`, name);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      return fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers.`, name);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      return fail(`data_offsets ${JSON.stringify(offsets)} is not [begin, end].`, name);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) return fail(`data_offsets [${begin}, ${end}] end before they begin.`, name);
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = elements * DTYPE_BYTES[dtype]!;
    if (end - begin !== expected) {
      return fail(
        `data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} [${shape.join(', ')}] needs ${expected}.`,
        name,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  let previous: SafetensorsEntry | undefined;
  for (const entry of entries) {
    if (entry.begin < position) {
      fail(
        `bytes [${entry.begin}, ${entry.end}) overlap "${previous?.name}" [${previous?.begin}, ${previous?.end}).`,
        entry.name,
      );
    }
    if (entry.begin > position) {
      fail(
        `bytes [${position}, ${entry.begin}) before it belong to no tensor (tensors must be contiguous).`,
        entry.name,
      );
    }
    position = entry.end;
    previous = entry;
  }

  const dataOffset = 8 + json.byteLength;
  if (options.byteLength !== undefined) {
    const available = options.byteLength - dataOffset;
    if (available < position) {
      const last = entries[entries.length - 1];
      fail(
        `the header describes ${position} bytes of tensor data but only ${available} follow it: ` +
          `the file is truncated (it should be ${dataOffset + position} bytes, not ${options.byteLength}).`,
        last?.name,
      );
    }
    if (available > position) {
      fail(
        `${available - position} bytes follow the last tensor; the header does not describe them.`,
      );
    }
  }
  return { dataOffset, dataLength: position, metadata, entries };
}

/** What a writer declares for each tensor, in file order. */
export interface SafetensorsEntrySpec {
  name: string;
  dtype: string;
  shape: number[];
}

/**
 * Encodes a header (length prefix + JSON padded with spaces to a multiple of 8,
 * as HF's writer does, so the data starts 8-byte aligned) for tensors laid out
 * back to back in the given order.
 */
export function encodeHeader(
  specs: SafetensorsEntrySpec[],
  metadata: Record<string, string> = {},
): { bytes: Uint8Array; header: SafetensorsHeader } {
  const json: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) json.__metadata__ = metadata;
  const entries: SafetensorsEntry[] = [];
  let position = 0;
  for (const spec of specs) {
    const size = DTYPE_BYTES[spec.dtype];
    if (size === undefined)
      throw new TypeError(`Unknown safetensors dtype "${spec.dtype}" for ${spec.name}.`);
    if (spec.name === '__metadata__' || spec.name in json) {
      throw new TypeError(`Tensor name "${spec.name}" is reserved or repeated.`);
    }
    const end = position + spec.shape.reduce((a, b) => a * b, 1) * size;
    json[spec.name] = { dtype: spec.dtype, shape: spec.shape, data_offsets: [position, end] };
    entries.push({
      name: spec.name,
      dtype: spec.dtype,
      shape: [...spec.shape],
      begin: position,
      end,
    });
    position = end;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.byteLength / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8 + text.byteLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, padded % 2 ** 32, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  bytes.set(text, 8);
  return { bytes, header: { dataOffset: 8 + padded, dataLength: position, metadata, entries } };
}
