/**
 * llm.c's token shard format (see llm.c `dev/data/data_common.py` `write_datafile`):
 * a header of 256 little-endian int32s — magic 20240520, version, token count — then the tokens.
 * Version 1 stores uint16 tokens (vocab ≤ 65,536); version 2, our extension for larger vocabularies,
 * stores uint32 tokens. nanoGPT's `train.bin`/`val.bin` are raw uint16 tokens with no header.
 */
import { ShardFormatError } from './errors/shard-format-error.js';

/** llm.c's magic number, the first int32 of every shard. */
export const SHARD_MAGIC = 20240520;
/** Number of int32 words in the header. */
export const SHARD_HEADER_INTS = 256;
/** Size of the header in bytes. */
export const SHARD_HEADER_BYTES = SHARD_HEADER_INTS * 4;
/** Header version for uint16 tokens (llm.c's own). */
export const SHARD_VERSION_UINT16 = 1;
/** Header version for uint32 tokens (vocabularies with ids above 65,535). */
export const SHARD_VERSION_UINT32 = 2;

/** Token storage of a shard. */
export type ShardVersion = typeof SHARD_VERSION_UINT16 | typeof SHARD_VERSION_UINT32;

/** Where the tokens of one file are and how they are stored. */
export interface ShardLayout {
  /** `'llmc'` for a file with the 1 KiB header, `'nanogpt'` for raw uint16. */
  format: 'llmc' | 'nanogpt';
  /** 2 for uint16, 4 for uint32. */
  bytesPerToken: 2 | 4;
  /** Byte offset of the first token. */
  dataOffset: number;
  /** Number of tokens in the file. */
  tokenCount: number;
}

/** The shard version able to store every id of a vocabulary of `vocabSize` tokens. */
export function shardVersionForVocab(vocabSize: number): ShardVersion {
  return vocabSize - 1 > 0xffff ? SHARD_VERSION_UINT32 : SHARD_VERSION_UINT16;
}

/** Build the 1,024-byte header of a shard holding `tokenCount` tokens. */
export function encodeShardHeader(tokenCount: number, version: ShardVersion): Uint8Array {
  if (!Number.isInteger(tokenCount) || tokenCount < 0 || tokenCount > 0x7fffffff) {
    throw new RangeError(
      `encodeShardHeader: token count must fit an int32 (0..2^31-1), got ${tokenCount}`,
    );
  }
  const bytes = new Uint8Array(SHARD_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, SHARD_MAGIC, true);
  view.setInt32(4, version, true);
  view.setInt32(8, tokenCount, true);
  return bytes;
}

/**
 * Read and check a shard header.
 *
 * @param header - at least the first 1,024 bytes of the file (fewer means the file is truncated).
 * @param fileSize - total size of the file in bytes, to detect a truncated body.
 * @param file - name used in error messages.
 * @throws ShardFormatError naming the file: bad magic, unknown version, truncated or oversized body.
 */
export function parseShardHeader(header: Uint8Array, fileSize: number, file: string): ShardLayout {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const magic = header.byteLength >= 4 ? view.getInt32(0, true) : Number.NaN;
  if (magic !== SHARD_MAGIC) {
    throw new ShardFormatError({
      file,
      reason: 'bad-magic',
      message: `bad magic number ${magic} (expected llm.c's ${SHARD_MAGIC}); not a token shard, or a raw nanoGPT .bin (open it with format: 'nanogpt')`,
    });
  }
  if (header.byteLength < SHARD_HEADER_BYTES || fileSize < SHARD_HEADER_BYTES) {
    throw new ShardFormatError({
      file,
      reason: 'truncated',
      message: `truncated: ${Math.min(fileSize, header.byteLength)} bytes is shorter than the ${SHARD_HEADER_BYTES}-byte llm.c header`,
    });
  }
  const version = view.getInt32(4, true);
  if (version !== SHARD_VERSION_UINT16 && version !== SHARD_VERSION_UINT32) {
    throw new ShardFormatError({
      file,
      reason: 'bad-version',
      message: `unsupported shard version ${version} (expected 1 = uint16 or 2 = uint32 tokens)`,
    });
  }
  const tokenCount = view.getInt32(8, true);
  const bytesPerToken = version === SHARD_VERSION_UINT16 ? 2 : 4;
  const expected = SHARD_HEADER_BYTES + tokenCount * bytesPerToken;
  if (tokenCount < 0 || fileSize < expected) {
    throw new ShardFormatError({
      file,
      reason: 'truncated',
      message: `truncated: header says ${tokenCount} tokens (${expected} bytes) but the file has ${fileSize} bytes`,
    });
  }
  if (fileSize > expected) {
    throw new ShardFormatError({
      file,
      reason: 'size-mismatch',
      message: `header says ${tokenCount} tokens (${expected} bytes) but the file has ${fileSize} bytes`,
    });
  }
  return { format: 'llmc', bytesPerToken, dataOffset: SHARD_HEADER_BYTES, tokenCount };
}

/** Layout of a nanoGPT raw `.bin`: uint16 tokens, no header. */
export function rawUint16Layout(fileSize: number, file: string): ShardLayout {
  if (fileSize % 2 !== 0) {
    throw new ShardFormatError({
      file,
      reason: 'size-mismatch',
      message: `a raw uint16 token file must have an even size, got ${fileSize} bytes`,
    });
  }
  return { format: 'nanogpt', bytesPerToken: 2, dataOffset: 0, tokenCount: fileSize / 2 };
}

/** True when `bytes` starts with llm.c's magic number. */
export function hasShardMagic(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 4) return false;
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true) === SHARD_MAGIC;
}

/**
 * Copy tokens stored little-endian in `bytes` into `target` (as int32).
 * `bytes.byteLength` must be `target.length * bytesPerToken`.
 */
export function decodeTokens(bytes: Uint8Array, bytesPerToken: 2 | 4, target: Int32Array): void {
  const n = target.length;
  // Fast path: typed-array views need aligned offsets; the platform is little-endian in practice.
  if (LITTLE_ENDIAN && bytes.byteOffset % bytesPerToken === 0) {
    const source =
      bytesPerToken === 2
        ? new Uint16Array(bytes.buffer, bytes.byteOffset, n)
        : new Uint32Array(bytes.buffer, bytes.byteOffset, n);
    target.set(source);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    target[i] = bytesPerToken === 2 ? view.getUint16(i * 2, true) : view.getUint32(i * 4, true);
  }
}

/** Encode tokens little-endian as uint16 (version 1) or uint32 (version 2). */
export function encodeTokens(
  tokens: ArrayLike<number>,
  version: ShardVersion,
  file: string,
): Uint8Array {
  const bytes = new Uint8Array(tokens.length * (version === SHARD_VERSION_UINT16 ? 2 : 4));
  encodeTokensInto(tokens, version, file, bytes, 0);
  return bytes;
}

/**
 * {@link encodeTokens} into `target` at `byteOffset` (a multiple of the token width), so that a
 * writer can reuse one buffer instead of allocating per write.
 * @throws RangeError naming `file` for a token that does not fit the version, or too small a target.
 */
export function encodeTokensInto(
  tokens: ArrayLike<number>,
  version: ShardVersion,
  file: string,
  target: Uint8Array,
  byteOffset: number,
): void {
  const n = tokens.length;
  const width = version === SHARD_VERSION_UINT16 ? 2 : 4;
  const max = version === SHARD_VERSION_UINT16 ? 0xffff : 0xffffffff;
  if (byteOffset % width !== 0 || byteOffset + n * width > target.byteLength) {
    throw new RangeError(
      `${file}: cannot encode ${n} tokens at byte ${byteOffset} of a ${target.byteLength}-byte buffer`,
    );
  }
  // Fast path (prepare's main thread writes every token through here): a monomorphic range
  // check over the typed array, then a native converting copy into an aligned view.
  if (
    LITTLE_ENDIAN &&
    tokens instanceof Uint32Array &&
    (target.byteOffset + byteOffset) % width === 0
  ) {
    let highest = 0;
    for (let i = 0; i < n; i++) if (tokens[i]! > highest) highest = tokens[i]!;
    if (highest <= max) {
      const at = target.byteOffset + byteOffset;
      if (width === 2) new Uint16Array(target.buffer, at, n).set(tokens);
      else new Uint32Array(target.buffer, at, n).set(tokens);
      return;
    }
  }
  const view = new DataView(target.buffer, target.byteOffset + byteOffset, n * width);
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    if (!(t >= 0 && t <= max && Number.isInteger(t))) {
      throw new RangeError(
        `${file}: token ${t} does not fit shard version ${version} (${version === 1 ? 'uint16' : 'uint32'}); check the tokenizer's vocabSize`,
      );
    }
    if (width === 2) view.setUint16(i * 2, t, true);
    else view.setUint32(i * 4, t, true);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
