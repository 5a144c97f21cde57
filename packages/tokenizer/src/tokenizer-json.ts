/** Rebuild any tokenizer of this package from its `toJSON()` output. */

import { BpeTokenizer, type BpeTokenizerJSON } from './bpe-tokenizer.js';
import { CharTokenizer } from './char-tokenizer.js';
import { VocabFormatError } from './errors/vocab-format-error.js';
import { gpt2Tokenizer } from './gpt2.js';
import type { Tokenizer, TokenizerJSON } from './types.js';
import { WordPieceTokenizer } from './wordpiece.js';

const FILE = 'tokenizer JSON';

function fromBase64(b64: string, index: number): Uint8Array {
  let binary: string;
  try {
    binary = atob(b64);
  } catch {
    throw new VocabFormatError(FILE, `tokens[${index}] is not valid base64`);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Rebuild a `type: 'bpe'` description (see the README for the format). */
export function bpeTokenizerFromJSON(json: TokenizerJSON): BpeTokenizer {
  const j = json as Partial<BpeTokenizerJSON>;
  if (j.version !== 1)
    throw new VocabFormatError(FILE, `unsupported bpe version ${JSON.stringify(j.version)}`);
  if (!Array.isArray(j.tokens))
    throw new VocabFormatError(FILE, '"tokens" must be an array of base64 strings or null');
  if (j.rule !== 'ranks' && j.rule !== 'merges')
    throw new VocabFormatError(FILE, '"rule" must be "ranks" or "merges"');
  const tokens = j.tokens.map((t, i) => {
    if (t === null) return undefined;
    if (typeof t !== 'string')
      throw new VocabFormatError(FILE, `tokens[${i}] must be a base64 string or null`);
    return fromBase64(t, i);
  });
  let merges: [number, number][] | undefined;
  if (j.merges !== undefined) {
    if (
      !Array.isArray(j.merges) ||
      j.merges.length % 2 !== 0 ||
      j.merges.some((x) => !Number.isInteger(x))
    ) {
      throw new VocabFormatError(FILE, '"merges" must be a flat array of id pairs');
    }
    merges = [];
    for (let i = 0; i < j.merges.length; i += 2) merges.push([j.merges[i]!, j.merges[i + 1]!]);
  }
  if (
    j.specialTokens !== undefined &&
    (typeof j.specialTokens !== 'object' || j.specialTokens === null)
  ) {
    throw new VocabFormatError(FILE, '"specialTokens" must be an object of token → id');
  }
  try {
    return new BpeTokenizer({
      name: typeof j.name === 'string' ? j.name : undefined,
      tokens,
      rule: j.rule,
      merges,
      pattern: typeof j.pattern === 'string' ? j.pattern : undefined,
      specialTokens: j.specialTokens,
    });
  } catch (error) {
    if (error instanceof RangeError) throw new VocabFormatError(FILE, error.message);
    throw error;
  }
}

/** Rebuild a tokenizer from `toJSON()`: `gpt2`, `bpe`, `char` or `wordpiece`. */
export async function tokenizerFromJSON(json: TokenizerJSON | string): Promise<Tokenizer> {
  let value: unknown = json;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new VocabFormatError(FILE, `not valid JSON (${(error as Error).message})`);
    }
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as TokenizerJSON).type !== 'string'
  ) {
    throw new VocabFormatError(FILE, 'expected an object with a string "type"');
  }
  const j = value as TokenizerJSON;
  switch (j.type) {
    case 'gpt2':
      return gpt2Tokenizer();
    case 'bpe':
      return bpeTokenizerFromJSON(j);
    case 'char':
      return CharTokenizer.fromJSON(j);
    case 'wordpiece':
      return WordPieceTokenizer.fromJSON(j);
    default:
      throw new VocabFormatError(
        FILE,
        `unknown tokenizer type ${JSON.stringify(j.type)} (expected gpt2, bpe, char or wordpiece)`,
      );
  }
}
