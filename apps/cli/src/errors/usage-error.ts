import { UserError } from './user-error.js';

const marker: unique symbol = Symbol.for('gpt2.error.UsageError');

/**
 * The command line itself is wrong: an unknown command or option, a missing
 * argument, a value of the wrong type. Exits with code 2, as POSIX tools do.
 */
export class UsageError extends UserError {
  readonly [marker] = true;
  override readonly name = 'UsageError';
  /** The command whose usage was wrong, for the "see gpt2 <command> --help" hint. */
  readonly command: string | undefined;

  constructor(message: string, options: { command?: string; cause?: unknown } = {}) {
    super(message, { exitCode: 2, cause: options.cause });
    this.command = options.command;
  }

  /** True for errors of this class, even across duplicate installs. */
  static override isInstance(error: unknown): error is UsageError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
