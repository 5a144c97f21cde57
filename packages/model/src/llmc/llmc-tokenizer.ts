/**
 * llm.c's `tokenizer.bin` (`train_gpt2.py` `write_tokenizer`, read by
 * `llmc/tokenizer.h`): a decoding table, all llm.c needs to print samples.
 *
 *   header  256 little-endian int32: [0] magic 20240328, [1] version (2; 1 had
 *           no EOT field and meant GPT-2's 50,256), [2] number of tokens,
 *           [3] the end-of-text token id
 *   body    for each id in order: one byte n (1..255), then the token's n bytes
 *
 * Special tokens are stored as their text (`<|endoftext|>`), as tiktoken's
 * `decode_bytes` gives them.
 */
import { LLMC_HEADER_BYTES, LLMC_TOKENIZER_MAGIC } from './llmc-format.js';
import { LlmcFormatError } from './llmc-format-error.js';

/** The tokenizer file version with an EOT field, the one llm.c writes. */
export const LLMC_TOKENIZER_VERSION = 2;
/** GPT-2's EOT, implied by version 1 files. */
const GPT2_EOT = 50256;
/** A token's length is one unsigned byte, and llm.c asserts it is not 0. */
export const LLMC_MAX_TOKEN_BYTES = 255;

/** The contents of a tokenizer file. */
export interface LlmcTokenizerTable {
  /** Bytes of each token, by id. */
  tokens: Uint8Array[];
  /** The end-of-text id llm.c starts its samples with. */
  eotToken: number;
}

/**
 * Encodes a decoding table as llm.c's `tokenizer.bin` (version 2).
 * @throws RangeError naming a token llm.c cannot store (empty or over 255 bytes) or a bad EOT id.
 */
export function encodeLlmcTokenizer(table: LlmcTokenizerTable): Uint8Array {
  const { tokens, eotToken } = table;
  if (!Number.isInteger(eotToken) || eotToken < 0 || eotToken >= tokens.length) {
    throw new RangeError(
      `encodeLlmcTokenizer: eotToken ${eotToken} is not an id of the ${tokens.length}-token vocabulary.`,
    );
  }
  let size = LLMC_HEADER_BYTES;
  for (const [id, bytes] of tokens.entries()) {
    if (bytes.byteLength < 1 || bytes.byteLength > LLMC_MAX_TOKEN_BYTES) {
      throw new RangeError(
        `encodeLlmcTokenizer: token ${id} has ${bytes.byteLength} bytes; llm.c stores 1 to ${LLMC_MAX_TOKEN_BYTES}.`,
      );
    }
    size += 1 + bytes.byteLength;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setInt32(0, LLMC_TOKENIZER_MAGIC, true);
  view.setInt32(4, LLMC_TOKENIZER_VERSION, true);
  view.setInt32(8, tokens.length, true);
  view.setInt32(12, eotToken, true);
  let at = LLMC_HEADER_BYTES;
  for (const bytes of tokens) {
    out[at] = bytes.byteLength;
    out.set(bytes, at + 1);
    at += 1 + bytes.byteLength;
  }
  return out;
}

/**
 * Decodes llm.c's `tokenizer.bin` (versions 1 and 2).
 * @throws LlmcFormatError naming the field: magic, version, the token count, a truncated or empty token, trailing bytes.
 */
export function decodeLlmcTokenizer(bytes: Uint8Array, source = 'buffer'): LlmcTokenizerTable {
  const fail = (
    field: string,
    problem: 'bad-magic' | 'unknown-version' | 'bad-field' | 'truncated' | 'size-mismatch',
    message: string,
  ) => new LlmcFormatError({ source, field, problem, message });
  if (bytes.byteLength < LLMC_HEADER_BYTES) {
    throw fail(
      'header',
      'truncated',
      `the file has ${bytes.byteLength} bytes, fewer than the ${LLMC_HEADER_BYTES}-byte header.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getInt32(0, true);
  if (magic !== LLMC_TOKENIZER_MAGIC) {
    throw fail(
      'magic',
      'bad-magic',
      `magic number ${magic}, expected ${LLMC_TOKENIZER_MAGIC} (an llm.c tokenizer file).`,
    );
  }
  const version = view.getInt32(4, true);
  const count = view.getInt32(8, true);
  if (version !== 1 && version !== LLMC_TOKENIZER_VERSION) {
    throw fail(
      'version',
      'unknown-version',
      `version ${version}; known: 1 and ${LLMC_TOKENIZER_VERSION}.`,
    );
  }
  if (count < 1) throw fail('vocab_size', 'bad-field', `${count} tokens.`);
  if (version === 1 && count !== GPT2_EOT + 1) {
    throw fail(
      'vocab_size',
      'bad-field',
      `a version 1 file implies GPT-2's 50,257 tokens, not ${count}.`,
    );
  }
  const eotToken = version === 1 ? GPT2_EOT : view.getInt32(12, true);
  if (eotToken < 0 || eotToken >= count) {
    throw fail(
      'eot_token',
      'bad-field',
      `EOT id ${eotToken} is outside the ${count}-token vocabulary.`,
    );
  }
  const tokens: Uint8Array[] = new Array(count);
  let at = LLMC_HEADER_BYTES;
  for (let id = 0; id < count; id++) {
    const length = bytes[at];
    if (length === undefined || at + 1 + length > bytes.byteLength) {
      throw fail(`token ${id}`, 'truncated', `the file ends inside token ${id} of ${count}.`);
    }
    if (length === 0)
      throw fail(
        `token ${id}`,
        'bad-field',
        `token ${id} has length 0 (llm.c requires at least 1 byte).`,
      );
    tokens[id] = bytes.slice(at + 1, at + 1 + length);
    at += 1 + length;
  }
  if (at !== bytes.byteLength) {
    throw fail(
      'size',
      'size-mismatch',
      `${bytes.byteLength - at} bytes follow the last of the ${count} tokens the header announces.`,
    );
  }
  return { tokens, eotToken };
}
