/** Which special tokens `encode` may produce or must reject. */
export interface EncodeOptions {
  /**
   * Special tokens that become their ids when found in the text: `'all'` or a
   * list. Default: none.
   */
  allowedSpecial?: 'all' | Iterable<string>;
  /**
   * Special tokens whose presence in the text throws a
   * `DisallowedSpecialTokenError`: `'all'` (every special token not allowed) or
   * a list; tokens in neither list are encoded as plain text. Default `'all'`.
   */
  disallowedSpecial?: 'all' | Iterable<string>;
}

/** Serializable description of a tokenizer; `tokenizerFromJSON` rebuilds it. */
export type TokenizerJSON = { type: string; [key: string]: unknown };

/** Emits text as soon as each UTF-8 character is complete (token-by-token generation). */
export interface StreamDecoder {
  /** Add one token; returns the text completed by it (possibly ''). */
  push(id: number): string;
  /** End of stream: returns what is left (an incomplete character becomes U+FFFD). */
  flush(): string;
}

/** Every tokenizer (GPT-2 BPE, trained BPE, WordPiece, char) implements this. */
export interface Tokenizer {
  /** E.g. `'gpt2'`, `'bpe-4096'`, `'char'`. */
  readonly name: string;
  /** Number of ids: every id is below this. */
  readonly vocabSize: number;
  /** Id of `<|endoftext|>` (50256 for gpt2), or undefined. */
  readonly eotToken: number | undefined;
  /** Text → ids. Throws TypeError for a non-string. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Ids → text. Throws TypeError/RangeError for non-integer or unknown ids. */
  decode(ids: ArrayLike<number>): string;
  /** A decoder that emits text only when a UTF-8 character is complete. */
  createStreamDecoder(): StreamDecoder;
  /** Serializable description: `tokenizerFromJSON(t.toJSON())` rebuilds an identical tokenizer. */
  toJSON(): TokenizerJSON;
}
