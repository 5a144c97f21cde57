const marker = Symbol.for('gpt2.error.VocabFormatError');

/**
 * A vocabulary file (encoder.json, vocab.bpe, .tiktoken, tokenizer.json, our
 * JSON) is corrupt or unsupported. A `TypeError`, so it is also caught as one.
 */
export class VocabFormatError extends TypeError {
  readonly [marker] = true;
  override readonly name = 'VocabFormatError';

  constructor(
    /** The file or format, e.g. `vocab.bpe`. */
    readonly file: string,
    /** What is wrong. */
    readonly reason: string,
    /** 1-based line, where the format has lines. */
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`);
  }

  /** True for a VocabFormatError from any copy of this package. */
  static isInstance(error: unknown): error is VocabFormatError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
