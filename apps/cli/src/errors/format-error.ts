import { UserError } from './user-error.js';

/** Options for {@link formatError}. */
export interface FormatErrorOptions {
  /** Print the stack trace and causes. Default: false (set by `--verbose` or `GPT2_DEBUG=1`). */
  verbose?: boolean;
}

/** Node system errors that mean "the user pointed at a path we cannot use". */
const FILE_ERROR_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOSPC: 'no space left on device',
  EEXIST: 'already exists',
};

/** True for errors from our packages: they carry a `Symbol.for('gpt2.error.<Name>')` marker. */
export function isPackageError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  let target: object | null = error;
  // The marker is an own field on instances, but check the chain to be safe.
  while (target !== null) {
    for (const symbol of Object.getOwnPropertySymbols(target)) {
      if (symbol.description?.startsWith('gpt2.error.')) return true;
    }
    target = Object.getPrototypeOf(target) as object | null;
  }
  return false;
}

/** One line: newlines and the indentation after them collapse into `; `. */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('; ')
    .replace(/:;/g, ':');
}

function fileErrorMessage(error: NodeJS.ErrnoException): string | undefined {
  const text = error.code ? FILE_ERROR_TEXT[error.code] : undefined;
  if (!text) return undefined;
  return error.path ? `cannot use '${error.path}': ${text}` : `${text} (${error.message})`;
}

/** An abort from Ctrl-C (a signal's default reason, or one raised by a package on abort). */
export function isAbort(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'AbortError';
}

/** Whether an error is one the user caused and can fix, so that no stack trace helps them. */
export function isUserFacing(error: unknown): boolean {
  if (UserError.isInstance(error) || isPackageError(error) || isAbort(error)) return true;
  if (error instanceof RangeError || error instanceof TypeError) {
    // Our packages validate inputs with RangeError/TypeError; V8's own
    // TypeErrors ("x is not a function") are bugs and keep their stack.
    return !/is not a function|of undefined|of null|is not iterable|is not a constructor/.test(
      error.message,
    );
  }
  return fileErrorMessage(error as NodeJS.ErrnoException) !== undefined;
}

/** Exit code for an error: 130 for an interrupt, a UserError's own, otherwise 1. */
export function exitCodeFor(error: unknown): number {
  if (isAbort(error)) return 130; // 128 + SIGINT, as shells report it
  return UserError.isInstance(error) ? error.exitCode : 1;
}

/**
 * The text to print for an error that ended a command: one line for errors the
 * user can fix, a short "internal error" note for bugs; with `verbose`, the
 * stack trace and the cause chain as well.
 */
export function formatError(error: unknown, options: FormatErrorOptions = {}): string {
  const verbose = options.verbose ?? false;
  let line: string;
  if (error instanceof Error) {
    const fileMessage = fileErrorMessage(error as NodeJS.ErrnoException);
    if (isAbort(error)) line = 'stopped (interrupted)';
    else if (UserError.isInstance(error) || isPackageError(error)) line = oneLine(error.message);
    else if (fileMessage) line = fileMessage;
    else if (isUserFacing(error)) line = oneLine(error.message);
    else line = `internal error: ${oneLine(error.message)}`;
  } else {
    line = `internal error: ${String(error)}`;
  }
  let text = `gpt2: ${line}`;
  if (verbose) {
    let current: unknown = error;
    while (current instanceof Error) {
      text += `\n${current.stack ?? current.message}`;
      current = current.cause;
      if (current !== undefined) text += '\nCaused by:';
    }
  } else if (!isUserFacing(error)) {
    text += '\n(run with --verbose or GPT2_DEBUG=1 for the stack trace)';
  }
  return text;
}
