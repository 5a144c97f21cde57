/** Loader for tiktoken `.tiktoken` rank files (`base64 rank` per line). */

import { BpeTokenizer } from '../bpe-tokenizer.js';
import { VocabFormatError } from '../errors/vocab-format-error.js';
import { GPT2_PATTERN } from '../pre-tokenizer.js';

/** Options of {@link fromTiktoken}. */
export interface TiktokenOptions {
  /** Contents of the `.tiktoken` file. */
  ranks: string;
  /** Special tokens → ids (not stored in rank files). Default none. */
  specialTokens?: Record<string, number>;
  /** Split pattern (tiktoken's `pat_str`). Default GPT-2's. */
  pattern?: string;
  /** Name. Default `'tiktoken'`. */
  name?: string;
  /** File name for error messages. Default `'.tiktoken'`. */
  file?: string;
}

/** Parse a rank file into token bytes by id. Throws {@link VocabFormatError} with the line. */
export function parseTiktokenRanks(text: string, file = '.tiktoken'): Uint8Array[] {
  if (typeof text !== 'string')
    throw new VocabFormatError(file, 'expected the file contents as a string');
  const tokens: Uint8Array[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const space = line.indexOf(' ');
    const rank = Number(line.slice(space + 1));
    if (space <= 0 || !Number.isInteger(rank) || rank < 0 || line.indexOf(' ', space + 1) >= 0) {
      throw new VocabFormatError(
        file,
        `expected "<base64 token> <rank>", got ${JSON.stringify(line.slice(0, 80))}`,
        i + 1,
      );
    }
    let binary: string;
    try {
      binary = atob(line.slice(0, space));
    } catch {
      throw new VocabFormatError(
        file,
        `invalid base64 ${JSON.stringify(line.slice(0, space))}`,
        i + 1,
      );
    }
    if (tokens[rank] !== undefined)
      throw new VocabFormatError(file, `rank ${rank} appears twice`, i + 1);
    const bytes = new Uint8Array(binary.length);
    for (let k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
    tokens[rank] = bytes;
  }
  if (tokens.length === 0) throw new VocabFormatError(file, 'no ranks found');
  return tokens;
}

/** A tokenizer from a tiktoken rank file (tiktoken's merge rule: lowest rank first). */
export function fromTiktoken(options: TiktokenOptions): BpeTokenizer {
  const file = options.file ?? '.tiktoken';
  const tokens = parseTiktokenRanks(options.ranks, file);
  try {
    return new BpeTokenizer({
      name: options.name ?? 'tiktoken',
      tokens,
      rule: 'ranks',
      pattern: options.pattern ?? GPT2_PATTERN,
      specialTokens: options.specialTokens,
    });
  } catch (error) {
    if (error instanceof RangeError) throw new VocabFormatError(file, error.message);
    throw error;
  }
}
