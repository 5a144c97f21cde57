const marker = Symbol.for('gpt2.error.CheckpointWriteError');

/**
 * Saving a checkpoint failed (disk full, permissions, …). The half-written
 * files were removed and every earlier checkpoint is untouched; `cause` holds
 * the underlying error.
 */
export class CheckpointWriteError extends Error {
  readonly [marker] = true;
  override readonly name = 'CheckpointWriteError';
  /** The checkpoint that could not be written. */
  readonly checkpoint: string;

  constructor(options: { checkpoint: string; cause: unknown }) {
    const detail = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      `Could not write checkpoint '${options.checkpoint}': ${detail}. Earlier checkpoints are intact.`,
      { cause: options.cause },
    );
    this.checkpoint = options.checkpoint;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is CheckpointWriteError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
