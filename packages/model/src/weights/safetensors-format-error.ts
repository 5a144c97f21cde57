const marker = Symbol.for('gpt2.error.SafetensorsFormatError');

/**
 * The bytes are not a valid safetensors file: a header length larger than the
 * file, a header that is not JSON, an entry without dtype/shape/data_offsets,
 * offsets out of bounds, overlapping or leaving gaps, a size that does not
 * match the shape, or a body that ends early (truncated download or file).
 */
export class SafetensorsFormatError extends Error {
  readonly [marker] = true;
  override readonly name = 'SafetensorsFormatError';
  /** The file, URL or buffer the bytes came from (as given to the loader). */
  readonly source: string;
  /** The tensor whose entry or data is wrong, when the problem is in one tensor. */
  readonly tensor: string | undefined;

  constructor(options: { source: string; message: string; tensor?: string; cause?: unknown }) {
    const where = options.tensor === undefined ? '' : ` (tensor "${options.tensor}")`;
    super(
      `Invalid safetensors data in ${options.source}${where}: ${options.message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.source = options.source;
    this.tensor = options.tensor;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is SafetensorsFormatError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
