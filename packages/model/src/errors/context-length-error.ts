const marker = Symbol.for('gpt2.error.ContextLengthError');

/**
 * More positions were asked for than the model has (`nPositions`): a sequence
 * longer than the context, or a KV cache that would grow past it. Crop the
 * cache (`cache.crop(n)`) or the input. A `RangeError`.
 */
export class ContextLengthError extends RangeError {
  readonly [marker] = true;
  override readonly name = 'ContextLengthError';
  /** Total positions the call needed (cached + new). */
  readonly length: number;
  readonly nPositions: number;

  constructor(options: { length: number; nPositions: number; cached: number }) {
    const detail =
      options.cached > 0
        ? `${options.cached} cached + ${options.length - options.cached} new tokens`
        : `a sequence of ${options.length} tokens`;
    super(
      `Context too long: ${detail} exceeds nPositions ${options.nPositions}. ` +
        'Shorten the input or crop the KV cache (cache.crop(length)).',
    );
    this.length = options.length;
    this.nPositions = options.nPositions;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is ContextLengthError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
