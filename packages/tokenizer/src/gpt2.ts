/**
 * OpenAI's GPT-2 tokenizer (tiktoken's r50k_base): 50,257 ids, `<|endoftext|>`
 * = 50256. The vocabulary ships in the package (src/data/r50k-base.ts) and is
 * imported lazily, so it costs nothing until GPT-2 is used.
 */

import { BpeTokenizer, END_OF_TEXT } from './bpe-tokenizer.js';
import { GPT2_PATTERN } from './pre-tokenizer.js';

/** GPT-2's end-of-text id. */
export const GPT2_EOT_TOKEN = 50256;
/** GPT-2's vocabulary size. */
export const GPT2_VOCAB_SIZE = 50257;

let shared: Promise<BpeTokenizer> | undefined;

/** Decode the compact data: token bytes by id, and the merge list. */
export function decodeR50kData(b64: string): { tokens: Uint8Array[]; merges: [number, number][] } {
  const binary = atob(b64);
  const tokens: Uint8Array[] = [];
  for (let id = 0; id < 256; id++) tokens.push(Uint8Array.of(binary.charCodeAt(id)));
  const merges: [number, number][] = [];
  for (let p = 256; p + 3 < binary.length; p += 4) {
    const a = binary.charCodeAt(p) | (binary.charCodeAt(p + 1) << 8);
    const b = binary.charCodeAt(p + 2) | (binary.charCodeAt(p + 3) << 8);
    const left = tokens[a]!;
    const right = tokens[b]!;
    const joined = new Uint8Array(left.length + right.length);
    joined.set(left);
    joined.set(right, left.length);
    tokens.push(joined);
    merges.push([a, b]);
  }
  return { tokens, merges };
}

/**
 * The GPT-2 tokenizer, identical to tiktoken's `r50k_base`. Works offline in
 * Node and browsers. The instance is shared: it is immutable apart from its
 * caches.
 */
export function gpt2Tokenizer(): Promise<BpeTokenizer> {
  shared ??= import('./data/r50k-base.js').then(({ R50K_BASE_DATA }) => {
    const { tokens, merges } = decodeR50kData(R50K_BASE_DATA);
    return new BpeTokenizer({
      name: 'gpt2',
      tokens,
      // tiktoken's rule; the merge list is kept for Hugging Face export.
      rule: 'ranks',
      merges,
      pattern: GPT2_PATTERN,
      specialTokens: { [END_OF_TEXT]: GPT2_EOT_TOKEN },
      json: { type: 'gpt2' },
    });
  });
  return shared;
}
