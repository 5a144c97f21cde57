/** Loader for OpenAI's GPT-2 files: `encoder.json` + `vocab.bpe`. */

import type { MergeRule } from '../bpe-model.js';
import { BpeTokenizer } from '../bpe-tokenizer.js';
import { unicodeStringToBytes } from '../byte-level.js';
import { VocabFormatError } from '../errors/vocab-format-error.js';
import { GPT2_PATTERN } from '../pre-tokenizer.js';

/** Options of {@link fromGpt2Files}. */
export interface Gpt2FilesOptions {
  /** Contents of `encoder.json` (text or parsed object). */
  encoderJson: string | Record<string, number>;
  /** Contents of `vocab.bpe`. */
  vocabBpe: string;
  /** Merge rule. Default `'merges'`, as GPT-2's `encoder.py` (for GPT-2 itself both give the same ids). */
  rule?: MergeRule;
  /** Name. Default `'gpt2'`. */
  name?: string;
  /** Split pattern. Default GPT-2's. */
  pattern?: string;
}

/** Parsed GPT-2 files: token bytes by id, merges as id pairs, special tokens. */
export interface Gpt2FilesData {
  tokens: (Uint8Array | undefined)[];
  merges: [number, number][];
  specialTokens: Record<string, number>;
}

/** Parse and check `encoder.json` + `vocab.bpe`. Throws {@link VocabFormatError} naming the file and the problem. */
export function parseGpt2Files(
  encoderJson: string | Record<string, number>,
  vocabBpe: string,
): Gpt2FilesData {
  let encoder: unknown = encoderJson;
  if (typeof encoderJson === 'string') {
    try {
      encoder = JSON.parse(encoderJson);
    } catch (error) {
      throw new VocabFormatError('encoder.json', `not valid JSON (${(error as Error).message})`);
    }
  }
  if (typeof encoder !== 'object' || encoder === null || Array.isArray(encoder)) {
    throw new VocabFormatError('encoder.json', 'expected an object mapping token strings to ids');
  }
  if (typeof vocabBpe !== 'string')
    throw new VocabFormatError('vocab.bpe', 'expected the file contents as a string');
  const entries = Object.entries(encoder as Record<string, unknown>);
  const ids = new Map<string, number>();
  const seen = new Set<number>();
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new VocabFormatError(
        'encoder.json',
        `token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, not a non-negative integer`,
      );
    }
    if (seen.has(id)) throw new VocabFormatError('encoder.json', `id ${id} is used twice`);
    seen.add(id);
    ids.set(token, id);
  }
  const tokens: (Uint8Array | undefined)[] = [];
  const mergeable = new Set<string>();
  for (const [token, id] of ids) {
    const bytes = token.length === 1 ? unicodeStringToBytes(token) : undefined;
    if (bytes !== undefined) {
      tokens[id] = bytes;
      mergeable.add(token);
    }
  }
  if (mergeable.size !== 256) {
    throw new VocabFormatError(
      'encoder.json',
      `expected 256 single-byte tokens, found ${mergeable.size}`,
    );
  }
  const merges: [number, number][] = [];
  const lines = vocabBpe.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new VocabFormatError(
        'vocab.bpe',
        `expected two space-separated tokens, got ${JSON.stringify(line)}`,
        i + 1,
      );
    }
    const [a, b] = parts as [string, string];
    const left = ids.get(a);
    const right = ids.get(b);
    const result = ids.get(a + b);
    if (left === undefined || !mergeable.has(a))
      throw new VocabFormatError(
        'vocab.bpe',
        `${JSON.stringify(a)} is not a token built before this merge`,
        i + 1,
      );
    if (right === undefined || !mergeable.has(b))
      throw new VocabFormatError(
        'vocab.bpe',
        `${JSON.stringify(b)} is not a token built before this merge`,
        i + 1,
      );
    if (result === undefined)
      throw new VocabFormatError(
        'vocab.bpe',
        `the merge result ${JSON.stringify(a + b)} is not in encoder.json`,
        i + 1,
      );
    if (!mergeable.has(a + b)) {
      const bytes = unicodeStringToBytes(a + b);
      if (bytes === undefined)
        throw new VocabFormatError(
          'vocab.bpe',
          `${JSON.stringify(a + b)} uses characters outside GPT-2's byte alphabet`,
          i + 1,
        );
      tokens[result] = bytes;
      mergeable.add(a + b);
    }
    merges.push([left, right]);
  }
  const specialTokens: Record<string, number> = {};
  for (const [token, id] of ids) if (!mergeable.has(token)) specialTokens[token] = id;
  return { tokens, merges, specialTokens };
}

/** A tokenizer from GPT-2's `encoder.json` + `vocab.bpe` (file contents, not paths). */
export function fromGpt2Files(options: Gpt2FilesOptions): BpeTokenizer {
  const data = parseGpt2Files(options.encoderJson, options.vocabBpe);
  return new BpeTokenizer({
    name: options.name ?? 'gpt2',
    tokens: data.tokens,
    rule: options.rule ?? 'merges',
    merges: data.merges,
    pattern: options.pattern ?? GPT2_PATTERN,
    specialTokens: data.specialTokens,
  });
}
