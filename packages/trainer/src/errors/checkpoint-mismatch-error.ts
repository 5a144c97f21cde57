const marker = Symbol.for('gpt2.error.CheckpointMismatchError');

/**
 * A checkpoint was written for a different model or tokenizer than the one it
 * is being loaded into. `field` names the first setting that disagrees.
 */
export class CheckpointMismatchError extends Error {
  readonly [marker] = true;
  override readonly name = 'CheckpointMismatchError';
  /** The checkpoint's name or path. */
  readonly checkpoint: string;
  /** Dotted path of the disagreeing setting, e.g. `model.nEmbd` or `tokenizer`. */
  readonly field: string;
  /** The value in the checkpoint. */
  readonly expected: unknown;
  /** The value in the current run. */
  readonly actual: unknown;

  constructor(options: { checkpoint: string; field: string; expected: unknown; actual: unknown }) {
    super(
      `Checkpoint '${options.checkpoint}' disagrees with this run on ${options.field}: ` +
        `checkpoint has ${JSON.stringify(options.expected)}, run has ${JSON.stringify(options.actual)}.`,
    );
    this.checkpoint = options.checkpoint;
    this.field = options.field;
    this.expected = options.expected;
    this.actual = options.actual;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is CheckpointMismatchError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
