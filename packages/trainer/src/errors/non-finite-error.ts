const marker = Symbol.for('gpt2.error.NonFiniteError');

/**
 * Training stopped because the loss or the gradient norm was NaN or infinite
 * for too many steps in a row. Those steps were skipped, so the weights are
 * those of the last finite step; no checkpoint was written for them.
 */
export class NonFiniteError extends Error {
  readonly [marker] = true;
  override readonly name = 'NonFiniteError';
  /** The optimizer step at which the run stopped. */
  readonly step: number;
  /** How many steps in a row were non-finite. */
  readonly consecutive: number;
  /** The last loss seen (NaN or ±Infinity when the loss was the culprit). */
  readonly loss: number;
  /** The last pre-clip gradient norm seen. */
  readonly gradNorm: number;

  constructor(options: { step: number; consecutive: number; loss: number; gradNorm: number }) {
    super(
      `Training stopped at step ${options.step}: ${options.consecutive} steps in a row had a ` +
        `non-finite loss or gradient norm (last loss ${options.loss}, grad norm ${options.gradNorm}). ` +
        'Lower the learning rate, enable gradient clipping, or check the data.',
    );
    this.step = options.step;
    this.consecutive = options.consecutive;
    this.loss = options.loss;
    this.gradNorm = options.gradNorm;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is NonFiniteError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
