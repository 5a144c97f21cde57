const marker = Symbol.for('gpt2.error.ModelBundleError');

/** The part of a model bundle that could not be found or does not fit. */
export type ModelBundlePart = 'weights' | 'config' | 'tokenizer' | 'checkpoint';

/**
 * A model bundle (a checkpoint, run, Hugging Face folder or set of files)
 * lacks a part, or its parts do not belong together. The message names the
 * place read, what is missing and every file or format that was tried.
 */
export class ModelBundleError extends Error {
  readonly [marker] = true;
  override readonly name = 'ModelBundleError';
  /** What was read: a folder path, a URL, `picked files (…)`. */
  readonly location: string;
  /** The part that is missing or wrong; undefined when the parts do not fit together. */
  readonly part: ModelBundlePart | undefined;
  /** The files and formats that were tried, in order. */
  readonly tried: readonly string[];

  constructor(options: {
    location: string;
    part?: ModelBundlePart;
    reason: string;
    tried?: readonly string[];
    cause?: unknown;
  }) {
    const tried = options.tried ?? [];
    super(
      `${options.location}: ${options.reason}${tried.length > 0 ? ` (tried: ${tried.join('; ')})` : ''}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.location = options.location;
    this.part = options.part;
    this.tried = tried;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is ModelBundleError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
