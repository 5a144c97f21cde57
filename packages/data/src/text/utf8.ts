/**
 * Streaming UTF-8 decoding with an explicit policy for invalid bytes.
 *
 * Policy (option `invalidUtf8`): `'error'` (the default) stops with a {@link DataSourceError}
 * naming the source, the byte offset and the line, so that a corrupt file is noticed before hours
 * of training on it; `'replace'` substitutes U+FFFD for each maximal invalid subsequence, exactly
 * as `TextDecoder` and Python's `errors='replace'` do.
 */
import { DataSourceError } from '../errors/data-source-error.js';

/** How invalid UTF-8 is handled. */
export type InvalidUtf8Policy = 'replace' | 'error';

/** Default of every `invalidUtf8` option. */
export const DEFAULT_INVALID_UTF8: InvalidUtf8Policy = 'error';

/** Bytes of a UTF-8 sequence from its lead byte (0 for a continuation or invalid lead). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * Index where an incomplete multi-byte sequence starts at the end of `bytes`
 * (so it can be carried over to the next chunk), or `bytes.length` when none is.
 */
export function incompleteTailStart(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let i = n - 1; i >= Math.max(0, n - 3); i--) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = sequenceLength(b);
    return need > n - i ? i : n;
  }
  return n;
}

/** Offset of the first invalid UTF-8 byte in `bytes`, or -1 if all are valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = sequenceLength(b);
    if (need === 0 || i + need > n) return i;
    const b1 = bytes[i + 1]!;
    // Second-byte ranges rule out overlong forms, surrogates and code points above U+10FFFF.
    const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    if (b1 < low || b1 > high) return i;
    for (let k = 2; k < need; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += need;
  }
  return -1;
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let count = 0;
  let at = bytes.indexOf(10);
  while (at !== -1 && at < end) {
    count++;
    at = bytes.indexOf(10, at + 1);
  }
  return count;
}

/** Options of {@link decodeUtf8Stream}. */
export interface DecodeUtf8Options {
  /** Name of the source, for error messages. */
  source: string;
  /** `'error'` or `'replace'`. Default {@link DEFAULT_INVALID_UTF8} (`'error'`). */
  invalidUtf8?: InvalidUtf8Policy;
}

/**
 * Decode a stream of byte chunks into a stream of strings. A leading byte-order mark is dropped.
 * Memory holds one chunk at a time.
 * @throws DataSourceError (`invalid-utf8`) with the byte offset and line, under `'error'`.
 */
export async function* decodeUtf8Stream(
  chunks: AsyncIterable<Uint8Array>,
  options: DecodeUtf8Options,
): AsyncGenerator<string> {
  const policy = options.invalidUtf8 ?? DEFAULT_INVALID_UTF8;
  if (policy !== 'error' && policy !== 'replace') {
    throw new TypeError(`invalidUtf8 must be 'replace' or 'error', got ${String(policy)}`);
  }
  const fatal = policy === 'error';
  const decoder = new TextDecoder('utf-8', { fatal, ignoreBOM: false });
  let offset = 0; // bytes of the stream before `carry`
  let lines = 0; // newlines before `uncounted`
  // Bytes decoded but whose newlines are not counted yet: lines are only needed for an error
  // message, so a file read as one chunk (as prepare's workers read them) never counts them.
  let uncounted: Uint8Array | undefined;
  let carry: Uint8Array = new Uint8Array(0);
  const countLines = () => {
    if (uncounted !== undefined) lines += countNewlines(uncounted, uncounted.length);
    uncounted = undefined;
  };

  const decode = (bytes: Uint8Array, final: boolean): string => {
    try {
      return decoder.decode(bytes, { stream: !final });
    } catch (cause) {
      countLines();
      const at = Math.max(0, firstInvalidUtf8(bytes));
      throw new DataSourceError({
        source: options.source,
        reason: 'invalid-utf8',
        byteOffset: offset + at,
        message: `invalid UTF-8 at byte ${offset + at} (line ${lines + countNewlines(bytes, at) + 1}); pass invalidUtf8: 'replace' to substitute U+FFFD`,
        cause,
      });
    }
  };

  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    const bytes = carry.length === 0 ? chunk : concat(carry, chunk);
    // In 'error' mode, decode only whole sequences so that a failure is located in `bytes`.
    const cut = fatal ? incompleteTailStart(bytes) : bytes.length;
    const text = decode(bytes.subarray(0, cut), false);
    if (fatal) {
      offset += cut;
      countLines();
      uncounted = bytes.subarray(0, cut);
    }
    carry = fatal ? bytes.slice(cut) : new Uint8Array(0);
    if (text.length > 0) yield text;
  }
  const rest = decode(carry, true);
  if (rest.length > 0) yield rest;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
