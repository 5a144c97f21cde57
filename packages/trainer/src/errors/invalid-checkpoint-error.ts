const marker = Symbol.for('gpt2.error.InvalidCheckpointError');

/**
 * A checkpoint folder is missing, half-written, corrupt, or was not written by
 * this trainer. `checkpoint` names it; `reason` says what is wrong with it.
 */
export class InvalidCheckpointError extends Error {
  readonly [marker] = true;
  override readonly name = 'InvalidCheckpointError';
  /** The checkpoint's name or path. */
  readonly checkpoint: string;
  /** What is wrong, in words. */
  readonly reason: string;

  constructor(options: { checkpoint: string; reason: string; cause?: unknown }) {
    super(`Invalid checkpoint '${options.checkpoint}': ${options.reason}`, {
      cause: options.cause,
    });
    this.checkpoint = options.checkpoint;
    this.reason = options.reason;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is InvalidCheckpointError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
