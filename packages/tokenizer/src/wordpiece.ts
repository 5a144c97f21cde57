/**
 * WordPiece (BERT): words split on whitespace and punctuation, then greedy
 * longest-match-first into pieces; pieces inside a word carry the `##`
 * continuation prefix; a word that cannot be split becomes `[UNK]`.
 */

import { learnMerges } from './bpe-trainer.js';
import { VocabFormatError } from './errors/vocab-format-error.js';
import {
  checkIds,
  checkText,
  encodeWithSpecials,
  planSpecials,
  type SpecialPlan,
} from './special-tokens.js';
import type { EncodeOptions, StreamDecoder, Tokenizer, TokenizerJSON } from './types.js';

/** BERT's special tokens, the default of {@link trainWordPiece}. */
export const DEFAULT_WORDPIECE_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
/** Words longer than this (characters) become `[UNK]`, as in BERT. */
export const DEFAULT_MAX_CHARS_PER_WORD = 100;

/** Options of the {@link WordPieceTokenizer} constructor. */
export interface WordPieceOptions {
  /** Tokens by id (continuations spelled with the prefix, e.g. `##ing`). */
  vocab: readonly string[];
  /** Unknown token; must be in `vocab`. Default `'[UNK]'`. */
  unkToken?: string;
  /** Continuation prefix. Default `'##'`. */
  continuingPrefix?: string;
  /** Lowercase and strip accents before splitting (BERT uncased). Default `true`. */
  lowercase?: boolean;
  /** Tokens of `vocab` that are special (matched in text with `allowedSpecial`). Default: those of BERT's five present in `vocab`. */
  specialTokens?: readonly string[];
  /** Longer words become the unknown token. Default {@link DEFAULT_MAX_CHARS_PER_WORD}. */
  maxCharsPerWord?: number;
  /** Name. Default `'wordpiece-<size>'`. */
  name?: string;
}

/** Options of {@link trainWordPiece}. */
export interface TrainWordPieceOptions {
  /** Target vocabulary size (specials and the alphabet included). Required. */
  vocabSize: number;
  /** Lowercase and strip accents. Default `true`. */
  lowercase?: boolean;
  /** Special tokens, ids 0…; the first `[UNK]`-like one must be among them. Default {@link DEFAULT_WORDPIECE_SPECIALS}. */
  specialTokens?: readonly string[];
  /** Unknown token. Default `'[UNK]'`. */
  unkToken?: string;
  /** Pairs seen fewer times are not merged. Default 2. */
  minFrequency?: number;
  /** Continuation prefix. Default `'##'`. */
  continuingPrefix?: string;
}

const punctuation = /^[\p{P}\p{S}]$/u;
const cjk =
  /^[\u4e00-\u9fff\u3400-\u4dbf\u{20000}-\u{2a6df}\u{2a700}-\u{2b73f}\u{2b740}-\u{2b81f}\u{2b820}-\u{2ceaf}\uf900-\ufaff\u{2f800}-\u{2fa1f}]$/u;
const control = /^[\p{Cc}\p{Cf}]$/u;

/** BERT's basic tokenizer: clean, optionally lowercase and strip accents, split on spaces and punctuation, isolate CJK. */
export function bertPreTokenize(text: string, lowercase: boolean): string[] {
  const words: string[] = [];
  let current = '';
  const flush = () => {
    if (current !== '') words.push(current);
    current = '';
  };
  const prepared = lowercase
    ? text
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '')
    : text;
  for (const c of prepared) {
    if (/^\s$/u.test(c)) flush();
    else if (c === '\uFFFD' || (control.test(c) && c !== '\t' && c !== '\n' && c !== '\r'))
      continue;
    else if (punctuation.test(c) || cjk.test(c)) {
      flush();
      words.push(c);
    } else current += c;
  }
  flush();
  return words;
}

/** A WordPiece tokenizer. */
export class WordPieceTokenizer implements Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly eotToken: number | undefined = undefined;
  readonly vocab: readonly string[];
  readonly unkToken: string;
  readonly unkId: number;
  readonly continuingPrefix: string;
  readonly lowercase: boolean;
  readonly maxCharsPerWord: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  private readonly ids = new Map<string, number>();
  private readonly defaultPlan: SpecialPlan;

  constructor(options: WordPieceOptions) {
    if (!Array.isArray(options.vocab))
      throw new TypeError('WordPiece vocab must be an array of tokens');
    this.vocab = options.vocab;
    options.vocab.forEach((t, id) => {
      if (typeof t !== 'string' || t === '')
        throw new TypeError(`vocab[${id}] must be a non-empty string`);
      if (!this.ids.has(t)) this.ids.set(t, id);
    });
    this.vocabSize = options.vocab.length;
    this.unkToken = options.unkToken ?? '[UNK]';
    const unk = this.ids.get(this.unkToken);
    if (unk === undefined)
      throw new RangeError(
        `The unknown token ${JSON.stringify(this.unkToken)} is not in the vocabulary`,
      );
    this.unkId = unk;
    this.continuingPrefix = options.continuingPrefix ?? '##';
    this.lowercase = options.lowercase ?? true;
    this.maxCharsPerWord = options.maxCharsPerWord ?? DEFAULT_MAX_CHARS_PER_WORD;
    const specials = new Map<string, number>();
    for (const s of options.specialTokens ??
      DEFAULT_WORDPIECE_SPECIALS.filter((t) => this.ids.has(t))) {
      const id = this.ids.get(s);
      if (id === undefined)
        throw new RangeError(`Special token ${JSON.stringify(s)} is not in the vocabulary`);
      specials.set(s, id);
    }
    this.specialTokens = specials;
    this.name = options.name ?? `wordpiece-${this.vocabSize}`;
    this.defaultPlan = planSpecials(specials, undefined);
  }

  /** Parse a BERT `vocab.txt` (one token per line). */
  static fromVocabTxt(
    text: string,
    options: Omit<WordPieceOptions, 'vocab'> = {},
  ): WordPieceTokenizer {
    if (typeof text !== 'string')
      throw new VocabFormatError('vocab.txt', 'expected the file contents as a string');
    const vocab = text.split('\n').map((l) => l.replace(/\r$/, ''));
    while (vocab.length > 0 && vocab[vocab.length - 1] === '') vocab.pop();
    const empty = vocab.indexOf('');
    if (empty >= 0) throw new VocabFormatError('vocab.txt', 'empty token', empty + 1);
    try {
      return new WordPieceTokenizer({ ...options, vocab });
    } catch (error) {
      throw new VocabFormatError('vocab.txt', (error as Error).message);
    }
  }

  /** Pieces of one word (greedy longest match first). */
  private encodeWord(word: string, out: number[]): void {
    const chars = [...word];
    if (chars.length > this.maxCharsPerWord) {
      out.push(this.unkId);
      return;
    }
    const pieces: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (end > start) {
        const sub = (start > 0 ? this.continuingPrefix : '') + chars.slice(start, end).join('');
        found = this.ids.get(sub);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) {
        out.push(this.unkId);
        return;
      }
      pieces.push(found);
      start = end;
    }
    for (const p of pieces) out.push(p);
  }

  encode(text: string, options?: EncodeOptions): number[] {
    checkText(text);
    const plan =
      options === undefined ? this.defaultPlan : planSpecials(this.specialTokens, options);
    const out: number[] = [];
    encodeWithSpecials(text, plan, out, (t, o) => {
      for (const word of bertPreTokenize(t, this.lowercase)) this.encodeWord(word, o);
    });
    return out;
  }

  /** Ids → text: pieces joined, continuations glued to the previous piece, words separated by spaces. */
  decode(ids: ArrayLike<number>): string {
    checkIds(ids, this.vocabSize, () => true);
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const t = this.vocab[ids[i]!]!;
      if (t.startsWith(this.continuingPrefix) && i > 0) s += t.slice(this.continuingPrefix.length);
      else s += (i > 0 ? ' ' : '') + t;
    }
    return s;
  }

  createStreamDecoder(): StreamDecoder {
    let first = true;
    return {
      push: (id) => {
        checkIds([id], this.vocabSize, () => true);
        const t = this.vocab[id]!;
        const wasFirst = first;
        first = false;
        if (t.startsWith(this.continuingPrefix) && !wasFirst)
          return t.slice(this.continuingPrefix.length);
        return (wasFirst ? '' : ' ') + t;
      },
      flush: () => '',
    };
  }

  toJSON(): TokenizerJSON {
    return {
      type: 'wordpiece',
      version: 1,
      name: this.name,
      vocab: [...this.vocab],
      unkToken: this.unkToken,
      continuingPrefix: this.continuingPrefix,
      lowercase: this.lowercase,
      maxCharsPerWord: this.maxCharsPerWord,
      specialTokens: [...this.specialTokens.keys()],
    };
  }

  /** Rebuild from {@link toJSON}'s output. */
  static fromJSON(json: TokenizerJSON): WordPieceTokenizer {
    const file = 'wordpiece tokenizer JSON';
    if (!Array.isArray(json.vocab) || json.vocab.some((t) => typeof t !== 'string')) {
      throw new VocabFormatError(file, '"vocab" must be an array of strings');
    }
    try {
      return new WordPieceTokenizer({
        vocab: json.vocab as string[],
        unkToken: typeof json.unkToken === 'string' ? json.unkToken : undefined,
        continuingPrefix:
          typeof json.continuingPrefix === 'string' ? json.continuingPrefix : undefined,
        lowercase: typeof json.lowercase === 'boolean' ? json.lowercase : undefined,
        maxCharsPerWord:
          typeof json.maxCharsPerWord === 'number' ? json.maxCharsPerWord : undefined,
        specialTokens: Array.isArray(json.specialTokens)
          ? (json.specialTokens as string[])
          : undefined,
        name: typeof json.name === 'string' ? json.name : undefined,
      });
    } catch (error) {
      throw new VocabFormatError(file, (error as Error).message);
    }
  }
}

/** Learn a WordPiece vocabulary (BPE-style merges over characters, as Hugging Face's trainer does). */
export async function trainWordPiece(
  corpus: Iterable<string> | AsyncIterable<string>,
  options: TrainWordPieceOptions,
): Promise<WordPieceTokenizer> {
  const lowercase = options.lowercase ?? true;
  const prefix = options.continuingPrefix ?? '##';
  const specials = [...(options.specialTokens ?? DEFAULT_WORDPIECE_SPECIALS)];
  const unkToken = options.unkToken ?? '[UNK]';
  if (!specials.includes(unkToken)) specials.push(unkToken);
  if (!Number.isInteger(options.vocabSize) || options.vocabSize <= specials.length) {
    throw new RangeError(
      `vocabSize must be an integer > ${specials.length}, got ${options.vocabSize}`,
    );
  }
  const counts = new Map<string, number>();
  for await (const text of corpus as AsyncIterable<string>) {
    checkText(text, 'trainWordPiece');
    for (const w of bertPreTokenize(text, lowercase)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const vocab = [...specials];
  const ids = new Map<string, number>();
  vocab.forEach((t, i) => {
    ids.set(t, i);
  });
  const intern = (t: string) => {
    let id = ids.get(t);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(t);
      ids.set(t, id);
    }
    return id;
  };
  // The alphabet: every character as a word start and as a continuation, in a stable order.
  const words: number[][] = [];
  const freqs: number[] = [];
  const entries = [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const alphabet = new Set<string>();
  for (const [w] of entries) {
    [...w].forEach((c, i) => {
      alphabet.add(i === 0 ? c : prefix + c);
    });
  }
  for (const t of [...alphabet].sort()) intern(t);
  for (const [w, f] of entries) {
    words.push([...w].map((c, i) => ids.get(i === 0 ? c : prefix + c)!));
    freqs.push(f);
  }
  learnMerges(words, freqs, {
    minFrequency: options.minFrequency ?? 2,
    merge: (a, b) => {
      if (vocab.length >= options.vocabSize) return undefined;
      const right = vocab[b]!;
      return intern(vocab[a]! + (right.startsWith(prefix) ? right.slice(prefix.length) : right));
    },
  });
  return new WordPieceTokenizer({
    vocab,
    unkToken,
    continuingPrefix: prefix,
    lowercase,
    specialTokens: specials,
  });
}
