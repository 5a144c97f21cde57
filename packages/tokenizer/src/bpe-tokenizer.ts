/**
 * Byte-level BPE tokenizer: pre-tokenizer → UTF-8 bytes → BPE model, and the
 * byte-level decoder back. GPT-2 (r50k_base), tokenizers loaded from files, and
 * trained ones are all this class.
 */

import { BpeModel, type MergeRule } from './bpe-model.js';
import {
  binaryToBytes,
  bytesToUnicodeString,
  byteToUnicode,
  unicodeStringToBytes,
  utf8EncodeInto,
} from './byte-level.js';
import { createPreTokenizer, GPT2_PATTERN, gpt2PieceEnd } from './pre-tokenizer.js';
import {
  checkIds,
  checkText,
  encodeWithSpecials,
  planSpecials,
  type SpecialPlan,
} from './special-tokens.js';
import type { EncodeOptions, StreamDecoder, Tokenizer, TokenizerJSON } from './types.js';

/** Pieces with at most this many UTF-16 units are cached. */
export const DEFAULT_CACHE_PIECE_LENGTH = 64;
/** Cache entries kept before the cache is cleared (bounded memory). */
export const DEFAULT_CACHE_SIZE = 100_000;
/** The GPT-2 end-of-text token. */
export const END_OF_TEXT = '<|endoftext|>';

/** Options of the {@link BpeTokenizer} constructor. */
export interface BpeTokenizerOptions {
  /** Name, e.g. `'gpt2'`. Default `'bpe-<vocabSize>'`. */
  name?: string;
  /** Bytes of each mergeable token by id (`undefined` for special ids and gaps). */
  tokens: ReadonlyArray<Uint8Array | undefined>;
  /** Merge rule: `'ranks'` (tiktoken) or `'merges'` (Hugging Face / trainer). */
  rule: MergeRule;
  /** For `'merges'`: the merge list, in priority order. */
  merges?: ReadonlyArray<readonly [number, number]>;
  /** Split pattern (JS regex source). Default GPT-2's, run by a fast scanner. */
  pattern?: string;
  /** Special tokens → ids. Default none. */
  specialTokens?: Record<string, number>;
  /** What `toJSON` returns instead of the full description (gpt2 uses `{ type: 'gpt2' }`). */
  json?: TokenizerJSON;
}

/** Serialized BPE (`type: 'bpe'`): documented in the README. */
export interface BpeTokenizerJSON {
  type: 'bpe';
  version: 1;
  name: string;
  /** Split pattern. */
  pattern: string;
  /** `'ranks'` or `'merges'`. */
  rule: MergeRule;
  /** Bytes of each token id as base64 (`null` for special ids and gaps). */
  tokens: (string | null)[];
  /** For `'merges'`: flat `[left0, right0, left1, right1, …]`. */
  merges?: number[];
  /** Special token → id. */
  specialTokens: Record<string, number>;
  [key: string]: unknown;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

/** A byte-level BPE tokenizer. */
export class BpeTokenizer implements Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly eotToken: number | undefined;
  readonly model: BpeModel;
  readonly pattern: string;
  /** Special token → id. */
  readonly specialTokens: ReadonlyMap<string, number>;
  private readonly specialById = new Map<number, string>();
  private readonly fastSplit: boolean;
  private readonly splitter;
  private readonly cache = new Map<string, number | number[]>();
  private buffer = new Uint8Array(1024);
  private readonly defaultPlan: SpecialPlan;
  /** Bytes of every id, flattened (specials as UTF-8). */
  private readonly flat: Uint8Array;
  private readonly offsets: Uint32Array;
  private readonly json: TokenizerJSON | undefined;

  constructor(options: BpeTokenizerOptions) {
    this.model = new BpeModel({
      tokens: options.tokens,
      rule: options.rule,
      merges: options.merges,
    });
    this.pattern = options.pattern ?? GPT2_PATTERN;
    this.fastSplit = this.pattern === GPT2_PATTERN;
    this.splitter = createPreTokenizer(this.pattern);
    const specials = new Map<string, number>();
    let size = options.tokens.length;
    for (const [text, id] of Object.entries(options.specialTokens ?? {})) {
      if (!Number.isInteger(id) || id < 0)
        throw new RangeError(`Special token ${JSON.stringify(text)} has invalid id ${id}`);
      if (id < options.tokens.length && options.tokens[id] !== undefined) {
        throw new RangeError(
          `Special token ${JSON.stringify(text)} reuses id ${id} of a regular token`,
        );
      }
      if (text === '') throw new RangeError('A special token cannot be the empty string');
      specials.set(text, id);
      this.specialById.set(id, text);
      size = Math.max(size, id + 1);
    }
    this.specialTokens = specials;
    this.vocabSize = size;
    this.eotToken = specials.get(END_OF_TEXT);
    this.name = options.name ?? `bpe-${size}`;
    this.json = options.json;
    this.defaultPlan = planSpecials(specials, undefined);
    // Flat byte table for decode.
    const encoder = new TextEncoder();
    const parts: Uint8Array[] = new Array(size);
    let total = 0;
    for (let id = 0; id < size; id++) {
      const s = this.model.tokenStrings[id];
      const special = this.specialById.get(id);
      const bytes =
        special !== undefined ? encoder.encode(special) : s ? binaryToBytes(s) : new Uint8Array(0);
      parts[id] = bytes;
      total += bytes.length;
    }
    this.flat = new Uint8Array(total);
    this.offsets = new Uint32Array(size + 1);
    let at = 0;
    for (let id = 0; id < size; id++) {
      this.offsets[id] = at;
      this.flat.set(parts[id]!, at);
      at += parts[id]!.length;
    }
    this.offsets[size] = at;
  }

  /** The GPT-2 tokenizer (r50k_base), as `gpt2Tokenizer()`; its data is loaded on first use. */
  static gpt2(): Promise<BpeTokenizer> {
    return import('./gpt2.js').then((m) => m.gpt2Tokenizer());
  }

  /** Whether `id` stands for a token (regular or special). */
  hasId(id: number): boolean {
    return (
      Number.isInteger(id) &&
      id >= 0 &&
      id < this.vocabSize &&
      this.offsets[id + 1]! > this.offsets[id]!
    );
  }

  /**
   * Text → ids. Special tokens are disallowed by default: finding one throws a
   * `DisallowedSpecialTokenError` (see {@link EncodeOptions}).
   */
  encode(text: string, options?: EncodeOptions): number[] {
    checkText(text);
    const plan =
      options === undefined ? this.defaultPlan : planSpecials(this.specialTokens, options);
    const out: number[] = [];
    encodeWithSpecials(text, plan, out, (t, o) => this.encodeOrdinaryInto(t, o));
    return out;
  }

  /** Text → ids, treating special tokens as plain text (no checks). */
  encodeOrdinary(text: string): number[] {
    checkText(text, 'encodeOrdinary');
    const out: number[] = [];
    this.encodeOrdinaryInto(text, out);
    return out;
  }

  /** Encode many texts. */
  encodeBatch(texts: readonly string[], options?: EncodeOptions): number[][] {
    if (!Array.isArray(texts)) throw new TypeError('encodeBatch expects an array of strings');
    return texts.map((t) => this.encode(t, options));
  }

  /** Number of tokens `encode(text, options)` gives. */
  countTokens(text: string, options?: EncodeOptions): number {
    return this.encode(text, options).length;
  }

  private encodeOrdinaryInto(text: string, out: number[]): void {
    const n = text.length;
    if (this.fastSplit) {
      let i = 0;
      while (i < n) {
        const e = gpt2PieceEnd(text, i, n);
        this.encodePiece(text, i, e, out);
        i = e;
      }
    } else {
      this.splitter.split(text, (s, e) => this.encodePiece(text, s, e, out));
    }
  }

  private encodePiece(text: string, start: number, end: number, out: number[]): void {
    const len = end - start;
    const cacheable = len <= DEFAULT_CACHE_PIECE_LENGTH;
    let piece = '';
    if (cacheable) {
      piece = text.slice(start, end);
      const hit = this.cache.get(piece);
      if (hit !== undefined) {
        if (typeof hit === 'number') out.push(hit);
        else for (let k = 0; k < hit.length; k++) out.push(hit[k]!);
        return;
      }
    }
    if (this.buffer.length < len * 3) this.buffer = new Uint8Array(len * 3 + 1024);
    const buf = this.buffer;
    const nb = utf8EncodeInto(text, start, end, buf);
    // Fast path: the whole piece is one token. All-ASCII pieces are their own binary key.
    const key =
      nb === len && cacheable
        ? piece
        : nb <= 64
          ? String.fromCharCode.apply(null, buf.subarray(0, nb) as unknown as number[])
          : undefined;
    const direct = key === undefined ? undefined : this.model.encoder.get(key);
    if (direct !== undefined) {
      out.push(direct);
      if (cacheable) this.remember(piece, direct);
      return;
    }
    const before = out.length;
    this.model.encodeBytes(buf, nb, out);
    if (cacheable) this.remember(piece, out.slice(before));
  }

  private remember(piece: string, ids: number | number[]): void {
    if (this.cache.size >= DEFAULT_CACHE_SIZE) this.cache.clear();
    this.cache.set(piece, ids);
  }

  /** Bytes of the UTF-8 text that `ids` stand for. */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    checkIds(ids, this.vocabSize, (id) => this.offsets[id + 1]! > this.offsets[id]!);
    const offsets = this.offsets;
    const flat = this.flat;
    let total = 0;
    for (let i = 0; i < ids.length; i++) total += offsets[ids[i]! + 1]! - offsets[ids[i]!]!;
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      for (let p = offsets[id]!, e = offsets[id + 1]!; p < e; p++) out[at++] = flat[p]!;
    }
    return out;
  }

  /** Ids → text (invalid UTF-8, e.g. half a character, becomes U+FFFD). */
  decode(ids: ArrayLike<number>): string {
    return utf8Decoder.decode(this.decodeBytes(ids));
  }

  /** Bytes of one token. */
  tokenBytes(id: number): Uint8Array {
    return this.decodeBytes([id]);
  }

  /** A token's printable spelling, as in encoder.json / HF (`Ġthe`); specials as themselves. */
  idToToken(id: number): string {
    const special = this.specialById.get(id);
    if (special !== undefined) return special;
    return bytesToUnicodeString(this.tokenBytes(id));
  }

  /** Inverse of {@link idToToken}; `undefined` when no token has that spelling. */
  tokenToId(token: string): number | undefined {
    const special = this.specialTokens.get(token);
    if (special !== undefined) return special;
    const bytes = unicodeStringToBytes(token);
    if (bytes === undefined) return undefined;
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
    return this.model.encoder.get(s);
  }

  /** A decoder that emits text only when a UTF-8 character is complete. */
  createStreamDecoder(): StreamDecoder {
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    return {
      push: (id: number) => decoder.decode(this.decodeBytes([id]), { stream: true }),
      flush: () => decoder.decode(),
    };
  }

  /** Full description ({@link BpeTokenizerJSON}), or `{ type: 'gpt2' }` for GPT-2. */
  toJSON(): TokenizerJSON {
    if (this.json) return { ...this.json };
    return this.toBpeJSON();
  }

  /** Full description, even for GPT-2. */
  toBpeJSON(): BpeTokenizerJSON {
    const tokens: (string | null)[] = [];
    for (let id = 0; id < this.vocabSize; id++) {
      const s = this.model.tokenStrings[id];
      tokens.push(s ? toBase64(binaryToBytes(s)) : null);
    }
    const json: BpeTokenizerJSON = {
      type: 'bpe',
      version: 1,
      name: this.name,
      pattern: this.pattern,
      rule: this.model.rule,
      tokens,
      specialTokens: Object.fromEntries(this.specialTokens),
    };
    if (this.model.rule === 'merges') json.merges = (this.model.merges ?? []).flat();
    return json;
  }

  /** tiktoken rank file (`base64 rank` lines). Specials are not part of it: see {@link specialTokens}. */
  toTiktoken(): string {
    const lines: string[] = [];
    for (let id = 0; id < this.model.tokenStrings.length; id++) {
      const s = this.model.tokenStrings[id];
      if (s) lines.push(`${btoa(s)} ${id}`);
    }
    return lines.join('\n') + '\n';
  }

  /** The merge list: the model's own, or recovered from ranks. */
  mergeList(): [number, number][] {
    if (this.model.merges) return this.model.merges.map(([a, b]) => [a, b]);
    const merges: [number, number][] = [];
    const order = [...this.model.encoder.values()].sort((a, b) => a - b);
    for (const id of order) {
      if (this.model.tokenStrings[id]!.length < 2) continue;
      const split = this.model.splitToken(id);
      if (split === undefined)
        throw new RangeError(`Token ${id} cannot be built from lower-ranked tokens`);
      merges.push(split);
    }
    return merges;
  }

  /** Hugging Face `tokenizer.json` (byte-level BPE), as an object: `JSON.stringify` it to save. */
  toHuggingFace(): Record<string, unknown> {
    const spell = byteToUnicode();
    const vocab: Record<string, number> = {};
    for (let id = 0; id < this.model.tokenStrings.length; id++) {
      const s = this.model.tokenStrings[id];
      if (!s) continue;
      let t = '';
      for (let i = 0; i < s.length; i++) t += spell[s.charCodeAt(i)];
      vocab[t] = id;
    }
    const names = (id: number) => {
      const s = this.model.tokenStrings[id]!;
      let t = '';
      for (let i = 0; i < s.length; i++) t += spell[s.charCodeAt(i)];
      return t;
    };
    const merges = this.mergeList().map(([a, b]) => `${names(a)} ${names(b)}`);
    const byteLevel = {
      type: 'ByteLevel',
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: this.fastSplit,
    };
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...this.specialTokens].map(([content, id]) => ({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: this.fastSplit
        ? byteLevel
        : {
            type: 'Sequence',
            pretokenizers: [
              {
                type: 'Split',
                pattern: { Regex: this.pattern },
                behavior: 'Isolated',
                invert: false,
              },
              byteLevel,
            ],
          },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges,
      },
    };
  }
}

// ignoreBOM keeps a leading U+FEFF: it is text the tokens stand for.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });
