/** Character-level tokenizer (one id per Unicode code point), for char-level experiments. */

import { END_OF_TEXT } from './bpe-tokenizer.js';
import { VocabFormatError } from './errors/vocab-format-error.js';
import {
  checkIds,
  checkText,
  encodeWithSpecials,
  planSpecials,
  type SpecialPlan,
} from './special-tokens.js';
import type { EncodeOptions, StreamDecoder, Tokenizer, TokenizerJSON } from './types.js';

/** Options of the {@link CharTokenizer} constructor. */
export interface CharTokenizerOptions {
  /** The alphabet: characters (code points) in id order; duplicates are an error. */
  chars: Iterable<string>;
  /** Special tokens, given ids after the characters. Default none. */
  specialTokens?: readonly string[];
  /** Character used for unknown characters (must be in `chars`); without it, an unknown character throws. Default none. */
  unknown?: string;
  /** Name. Default `'char'`. */
  name?: string;
}

/** Options of {@link CharTokenizer.fromCorpus}. */
export interface CharCorpusOptions {
  /** Special tokens. Default `['<|endoftext|>']`. */
  specialTokens?: readonly string[];
  /** Name. Default `'char'`. */
  name?: string;
}

/** A character-level tokenizer: the alphabet in code-point order, then special tokens. */
export class CharTokenizer implements Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly eotToken: number | undefined;
  /** Characters by id. */
  readonly chars: readonly string[];
  readonly specialTokens: ReadonlyMap<string, number>;
  private readonly ids = new Map<string, number>();
  private readonly unknownId: number | undefined;
  private readonly defaultPlan: SpecialPlan;

  constructor(options: CharTokenizerOptions) {
    const chars = [...options.chars];
    chars.forEach((c, id) => {
      if (typeof c !== 'string' || [...c].length !== 1)
        throw new TypeError(`chars[${id}] must be one character, got ${JSON.stringify(c)}`);
      if (this.ids.has(c)) throw new RangeError(`chars has ${JSON.stringify(c)} twice`);
      this.ids.set(c, id);
    });
    this.chars = chars;
    const specials = new Map<string, number>();
    (options.specialTokens ?? []).forEach((s, i) => {
      specials.set(s, chars.length + i);
    });
    this.specialTokens = specials;
    this.vocabSize = chars.length + specials.size;
    this.eotToken = specials.get(END_OF_TEXT);
    this.name = options.name ?? 'char';
    if (options.unknown !== undefined && !this.ids.has(options.unknown)) {
      throw new RangeError(`unknown character ${JSON.stringify(options.unknown)} is not in chars`);
    }
    this.unknownId = options.unknown === undefined ? undefined : this.ids.get(options.unknown);
    this.defaultPlan = planSpecials(specials, undefined);
  }

  /** Build the alphabet from a corpus: every distinct character, in code-point order. */
  static async fromCorpus(
    corpus: Iterable<string> | AsyncIterable<string>,
    options: CharCorpusOptions = {},
  ): Promise<CharTokenizer> {
    const specials = options.specialTokens ?? [END_OF_TEXT];
    const seen = new Set<string>();
    for await (const text of corpus as AsyncIterable<string>) {
      checkText(text, 'CharTokenizer.fromCorpus');
      let rest = text;
      for (const s of specials) rest = rest.split(s).join('');
      for (const c of rest) seen.add(c);
    }
    const chars = [...seen].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer({ chars, specialTokens: specials, name: options.name });
  }

  encode(text: string, options?: EncodeOptions): number[] {
    checkText(text);
    const plan =
      options === undefined ? this.defaultPlan : planSpecials(this.specialTokens, options);
    const out: number[] = [];
    encodeWithSpecials(text, plan, out, (t, o) => {
      for (const c of t) {
        const id = this.ids.get(c) ?? this.unknownId;
        if (id === undefined) {
          throw new RangeError(
            `encode: character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) is not in the alphabet`,
          );
        }
        o.push(id);
      }
    });
    return out;
  }

  private tokenText(id: number): string {
    return id < this.chars.length
      ? this.chars[id]!
      : [...this.specialTokens].find(([, v]) => v === id)![0];
  }

  decode(ids: ArrayLike<number>): string {
    checkIds(ids, this.vocabSize, () => true);
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.tokenText(ids[i]!);
    return s;
  }

  createStreamDecoder(): StreamDecoder {
    return { push: (id) => this.decode([id]), flush: () => '' };
  }

  toJSON(): TokenizerJSON {
    return {
      type: 'char',
      version: 1,
      name: this.name,
      chars: this.chars.join(''),
      specialTokens: [...this.specialTokens.keys()],
      ...(this.unknownId === undefined ? {} : { unknown: this.chars[this.unknownId] }),
    };
  }

  /** Rebuild from {@link toJSON}'s output. */
  static fromJSON(json: TokenizerJSON): CharTokenizer {
    if (typeof json.chars !== 'string')
      throw new VocabFormatError('char tokenizer JSON', '"chars" must be a string');
    const specials = json.specialTokens ?? [];
    if (!Array.isArray(specials) || specials.some((s) => typeof s !== 'string')) {
      throw new VocabFormatError(
        'char tokenizer JSON',
        '"specialTokens" must be an array of strings',
      );
    }
    return new CharTokenizer({
      chars: [...json.chars],
      specialTokens: specials as string[],
      unknown: typeof json.unknown === 'string' ? json.unknown : undefined,
      name: typeof json.name === 'string' ? json.name : undefined,
    });
  }
}
