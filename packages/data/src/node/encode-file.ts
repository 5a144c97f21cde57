/**
 * Whole-file tokenization for `prepare`: a small plain-text file is read synchronously, decoded
 * and encoded in one go. Asynchronous reads of thousands of small files cost several event-loop
 * round trips each, during which a tokenizing thread would sit idle.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Tokenizer } from '@gpt2/tokenizer';
import { safePieces } from '../text/split-points.js';
import { decodeUtf8Stream, type InvalidUtf8Policy } from '../text/utf8.js';
import {
  type DocumentTokenizer,
  ENCODE_ORDINARY,
  inProcessTokenizer,
} from '../tokenize-pipeline.js';
import { fileReadError } from './file-system.js';

/** A growable token buffer: tokens go straight into one array per job. */
export class TokenBuffer {
  tokens = new Uint32Array(1 << 16);
  length = 0;

  push(ids: readonly number[]): void {
    if (this.length + ids.length > this.tokens.length) {
      const grown = new Uint32Array(Math.max(2 * this.tokens.length, this.length + ids.length));
      grown.set(this.tokens.subarray(0, this.length));
      this.tokens = grown;
    }
    const { tokens } = this;
    let at = this.length;
    for (let i = 0; i < ids.length; i++) tokens[at++] = ids[i]!;
    this.length = at;
  }
}

/**
 * A whole file's bytes, or undefined when it has more than `maxFileBytes` (or grew while read).
 * Synchronous: this thread has nothing else to do meanwhile, and it saves the event-loop round
 * trips of asynchronous reads of many small files.
 */
export function readWholeFile(path: string, maxFileBytes: number): Uint8Array | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size > maxFileBytes) return undefined;
    const buffer = new Uint8Array(size + 1);
    let filled = 0;
    for (;;) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (read === 0) return buffer.subarray(0, filled);
      filled += read;
      if (filled === buffer.length) return undefined;
    }
  } catch (cause) {
    throw fileReadError(path, cause);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Options of {@link encodeFile}. */
export interface EncodeFileOptions {
  /** Files larger than this are not read (the result is −1). Required. */
  maxFileBytes: number;
  /** Piece size for cutting the text, as `textPieces` uses. Required. */
  pieceChars: number;
  /** UTF-8 policy. Default `'error'`. */
  invalidUtf8?: InvalidUtf8Policy;
}

/**
 * Read, decode and encode a whole plain-text file into `out`, with the same tokens as streaming
 * it through `readDocuments` and `textPieces` (one chunk, cut into the same safe pieces).
 * @returns the text's UTF-16 length, or −1 (nothing read) for a file over `maxFileBytes`.
 */
export async function encodeFile(
  tokenizer: Pick<Tokenizer, 'encode'>,
  path: string,
  out: TokenBuffer,
  options: EncodeFileOptions,
): Promise<number> {
  const { maxFileBytes, pieceChars, invalidUtf8 } = options;
  const bytes = readWholeFile(path, maxFileBytes);
  if (bytes === undefined) return -1;
  const text = decodeUtf8Stream(only(bytes), { source: path, invalidUtf8 });
  let characters = 0;
  for await (const piece of safePieces(text, pieceChars)) {
    characters += piece.length;
    if (piece.length > 0) out.push(tokenizer.encode(piece, ENCODE_ORDINARY));
  }
  return characters;
}

async function* only<T>(value: T): AsyncGenerator<T> {
  yield value;
}

/**
 * A {@link DocumentTokenizer} on the calling thread (`prepare` with `workers: 0`) that reads
 * small whole files with {@link encodeFile} and streams everything else like
 * {@link inProcessTokenizer}, with the same tokens.
 */
export function inProcessFileTokenizer(
  tokenizer: Pick<Tokenizer, 'encode'>,
  options: EncodeFileOptions,
): DocumentTokenizer {
  const streamed = inProcessTokenizer(tokenizer);
  return async function* (documents) {
    let index = 0;
    for await (const doc of documents) {
      if (doc.path !== undefined) {
        const out = new TokenBuffer();
        const characters = await encodeFile(tokenizer, doc.path, out, options);
        if (characters === 0) continue; // an empty file is no document
        if (characters > 0) {
          const tokens = out.tokens.subarray(0, out.length);
          yield { document: index++, source: doc.source, first: true, tokens, characters };
          continue;
        }
      }
      let first = true;
      for await (const piece of streamed(only(doc))) {
        yield { ...piece, document: first ? index++ : index - 1 };
        first = false;
      }
    }
  };
}
