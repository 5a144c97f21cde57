const marker = Symbol.for('gpt2.error.TokenIdError');

/**
 * A token id (or target id) is not an integer in `[0, vocabSize)`.
 * A `RangeError`, so `instanceof RangeError` checks keep working.
 */
export class TokenIdError extends RangeError {
  readonly [marker] = true;
  override readonly name = 'TokenIdError';
  /** Which input held it: `'ids'` or `'targets'`. */
  readonly input: string;
  /** `[batch, time]` position of the first bad id, when known (arrays are checked element-wise). */
  readonly position: readonly [number, number] | undefined;
  /** The bad value. */
  readonly value: number;
  readonly vocabSize: number;

  constructor(options: {
    input: string;
    value: number;
    vocabSize: number;
    position?: readonly [number, number];
  }) {
    const where = options.position ? ` at [${options.position.join(', ')}]` : '';
    const what = Number.isInteger(options.value)
      ? `is out of range [0, ${options.vocabSize})`
      : 'is not an integer';
    super(
      `${options.input}: token id ${options.value}${where} ${what} (vocabSize ${options.vocabSize}).`,
    );
    this.input = options.input;
    this.value = options.value;
    this.vocabSize = options.vocabSize;
    this.position = options.position;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is TokenIdError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
