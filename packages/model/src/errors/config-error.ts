const marker = Symbol.for('gpt2.error.ConfigError');

/**
 * A model configuration field is missing, of the wrong type, or inconsistent
 * with another field (e.g. `nEmbd` not divisible by `nHead`). A `RangeError`,
 * so `instanceof RangeError` checks keep working.
 */
export class ConfigError extends RangeError {
  readonly [marker] = true;
  override readonly name = 'ConfigError';
  /** The offending field, as named in the TypeScript config (camelCase). */
  readonly field: string;
  /** The value that was rejected. */
  readonly value: unknown;

  constructor(options: { field: string; value: unknown; message: string }) {
    super(options.message);
    this.field = options.field;
    this.value = options.value;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is ConfigError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
