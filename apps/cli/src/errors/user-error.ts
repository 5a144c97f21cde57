const marker: unique symbol = Symbol.for('gpt2.error.UserError');

/**
 * A problem the user can fix (a missing file, a bad flag, an unwritable folder).
 * The CLI prints its message as one line, without a stack trace, and exits with
 * {@link UserError.exitCode}.
 */
export class UserError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'UserError';
  /** Process exit code; 1 unless a subclass says otherwise. */
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
  }

  /** True for errors of this class (and subclasses), even across duplicate installs. */
  static isInstance(error: unknown): error is UserError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
