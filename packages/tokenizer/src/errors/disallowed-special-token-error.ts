const marker = Symbol.for('gpt2.error.DisallowedSpecialTokenError');

/**
 * The text holds a special token (e.g. `<|endoftext|>`) that the call did not
 * allow. As in tiktoken, special tokens are disallowed by default so that user
 * text cannot inject them; pass `allowedSpecial` to turn them into their ids,
 * or `disallowedSpecial: []` to encode them as plain text.
 */
export class DisallowedSpecialTokenError extends Error {
  readonly [marker] = true;
  override readonly name = 'DisallowedSpecialTokenError';

  constructor(
    /** The special token found. */
    readonly token: string,
    /** Its UTF-16 offset in the text. */
    readonly index: number,
  ) {
    super(
      `The text contains the special token ${JSON.stringify(token)} at index ${index}, which is disallowed. ` +
        `Pass { allowedSpecial: [${JSON.stringify(token)}] } (or 'all') to encode it as a special token, ` +
        'or { disallowedSpecial: [] } to encode it as plain text.',
    );
  }

  /** True for a DisallowedSpecialTokenError from any copy of this package. */
  static isInstance(error: unknown): error is DisallowedSpecialTokenError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
