/** Loader for Hugging Face `tokenizer.json` files with a byte-level BPE model (GPT-2, RoBERTa, Llama 3 style). */

import { BpeTokenizer } from '../bpe-tokenizer.js';
import { unicodeStringToBytes } from '../byte-level.js';
import { VocabFormatError } from '../errors/vocab-format-error.js';
import { GPT2_PATTERN } from '../pre-tokenizer.js';

/** Options of {@link fromHuggingFace}. */
export interface HuggingFaceOptions {
  /** Contents of `tokenizer.json` (text or parsed object). */
  json: string | Record<string, unknown>;
  /** Name. Default `'hf-bpe'`. */
  name?: string;
}

const FILE = 'tokenizer.json';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Find the split pattern: ByteLevel(use_regex) means GPT-2's; a Split with a Regex gives its own. */
function findPattern(pre: unknown): { pattern: string | undefined; byteLevel: boolean } {
  if (!isObject(pre)) return { pattern: undefined, byteLevel: false };
  if (pre.type === 'ByteLevel') {
    if (pre.add_prefix_space === true) {
      throw new VocabFormatError(
        FILE,
        'ByteLevel pre-tokenizer with add_prefix_space: true is not supported',
      );
    }
    return { pattern: pre.use_regex === false ? undefined : GPT2_PATTERN, byteLevel: true };
  }
  if (pre.type === 'Split') {
    const p = pre.pattern;
    if (isObject(p) && typeof p.Regex === 'string') return { pattern: p.Regex, byteLevel: false };
    if (isObject(p) && typeof p.String === 'string') {
      return { pattern: p.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), byteLevel: false };
    }
    throw new VocabFormatError(FILE, 'unsupported Split pattern in pre_tokenizer');
  }
  if (pre.type === 'Sequence' && Array.isArray(pre.pretokenizers)) {
    let pattern: string | undefined;
    let byteLevel = false;
    for (const p of pre.pretokenizers) {
      const found = findPattern(p);
      if (found.pattern !== undefined) {
        if (pattern !== undefined && found.pattern !== pattern) {
          throw new VocabFormatError(
            FILE,
            'more than one split pattern in pre_tokenizer is not supported',
          );
        }
        pattern = found.pattern;
      }
      byteLevel ||= found.byteLevel;
    }
    return { pattern, byteLevel };
  }
  throw new VocabFormatError(FILE, `unsupported pre_tokenizer type ${JSON.stringify(pre.type)}`);
}

/** A tokenizer from a Hugging Face `tokenizer.json` holding a byte-level BPE model. */
export function fromHuggingFace(options: HuggingFaceOptions): BpeTokenizer {
  let root: unknown = options.json;
  if (typeof root === 'string') {
    try {
      root = JSON.parse(root);
    } catch (error) {
      throw new VocabFormatError(FILE, `not valid JSON (${(error as Error).message})`);
    }
  }
  if (!isObject(root)) throw new VocabFormatError(FILE, 'expected a JSON object');
  const model = root.model;
  if (!isObject(model)) throw new VocabFormatError(FILE, 'missing "model"');
  if (model.type !== undefined && model.type !== 'BPE') {
    throw new VocabFormatError(
      FILE,
      `model.type is ${JSON.stringify(model.type)}; only byte-level "BPE" is supported`,
    );
  }
  if (!isObject(model.vocab))
    throw new VocabFormatError(FILE, 'model.vocab must be an object of token → id');
  if (!Array.isArray(model.merges))
    throw new VocabFormatError(FILE, 'model.merges must be an array');
  const { pattern, byteLevel } = findPattern(root.pre_tokenizer);
  if (!byteLevel) {
    throw new VocabFormatError(
      FILE,
      'only byte-level BPE is supported: the pre_tokenizer has no ByteLevel step',
    );
  }
  const ids = new Map<string, number>();
  const tokens: (Uint8Array | undefined)[] = [];
  for (const [token, id] of Object.entries(model.vocab)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new VocabFormatError(
        FILE,
        `model.vocab[${JSON.stringify(token)}] is ${JSON.stringify(id)}, not an id`,
      );
    }
    const bytes = unicodeStringToBytes(token);
    if (bytes === undefined) {
      throw new VocabFormatError(
        FILE,
        `model.vocab token ${JSON.stringify(token)} is not in the byte-level alphabet`,
      );
    }
    ids.set(token, id);
    tokens[id] = bytes;
  }
  const merges: [number, number][] = [];
  model.merges.forEach((entry: unknown, i: number) => {
    const pair = typeof entry === 'string' ? entry.split(' ') : entry;
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      typeof pair[1] !== 'string'
    ) {
      throw new VocabFormatError(
        FILE,
        `model.merges[${i}] is ${JSON.stringify(entry)}, not a pair of tokens`,
      );
    }
    const a = ids.get(pair[0]);
    const b = ids.get(pair[1]);
    if (a === undefined || b === undefined || !ids.has(pair[0] + pair[1])) {
      throw new VocabFormatError(
        FILE,
        `model.merges[${i}] (${pair.join(' ')}) refers to tokens not in model.vocab`,
      );
    }
    merges.push([a, b]);
  });
  const specialTokens: Record<string, number> = {};
  if (Array.isArray(root.added_tokens)) {
    for (const added of root.added_tokens) {
      if (!isObject(added) || typeof added.content !== 'string' || typeof added.id !== 'number') {
        throw new VocabFormatError(FILE, 'added_tokens entries need "id" and "content"');
      }
      if (tokens[added.id] !== undefined) {
        // An added token that is also a vocab entry (GPT-2's <|endoftext|>): keep it special.
        tokens[added.id] = undefined;
      }
      specialTokens[added.content] = added.id;
    }
  }
  try {
    return new BpeTokenizer({
      name: options.name ?? 'hf-bpe',
      tokens,
      rule: 'merges',
      merges: merges.filter(([a, b]) => tokens[a] !== undefined && tokens[b] !== undefined),
      pattern: pattern ?? GPT2_PATTERN,
      specialTokens,
    });
  } catch (error) {
    if (error instanceof RangeError) throw new VocabFormatError(FILE, error.message);
    throw error;
  }
}
