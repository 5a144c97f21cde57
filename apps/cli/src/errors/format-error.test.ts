import { describe, expect, it } from 'vitest';
import { exitCodeFor, formatError, isUserFacing } from './format-error.js';
import { UsageError } from './usage-error.js';
import { UserError } from './user-error.js';

const packageMarker: unique symbol = Symbol.for('gpt2.error.PackageError');

class PackageError extends Error {
  readonly [packageMarker] = true;
}

describe('formatError', () => {
  it('prints user errors as one line without a stack', () => {
    const text = formatError(new UserError('Input file x does not exist.'));
    expect(text).toBe('gpt2: Input file x does not exist.');
    expect(exitCodeFor(new UsageError('bad'))).toBe(2);
    expect(exitCodeFor(new UserError('bad'))).toBe(1);
  });

  it('treats marked package errors, validation errors and file errors as user errors', () => {
    const multiLine = new PackageError('Backend missing.\n  How to fix: install it.');
    expect(formatError(multiLine)).toBe('gpt2: Backend missing.; How to fix: install it.');
    expect(formatError(new RangeError('nLayer must be ≥ 1'))).toBe('gpt2: nLayer must be ≥ 1');
    const enoent = Object.assign(new Error('ENOENT: open'), { code: 'ENOENT', path: '/x' });
    expect(formatError(enoent)).toBe("gpt2: cannot use '/x': no such file or directory");
    expect(isUserFacing(enoent)).toBe(true);
  });

  it('marks bugs as internal errors and offers the stack', () => {
    const bug = new TypeError('foo.bar is not a function');
    expect(isUserFacing(bug)).toBe(false);
    expect(formatError(bug)).toMatch(
      /^gpt2: internal error: foo.bar is not a function\n\(run with --verbose/,
    );
  });

  it('prints the stack and causes with verbose', () => {
    const error = new UserError('outer', { cause: new Error('inner') });
    const text = formatError(error, { verbose: true });
    expect(text).toMatch(/^gpt2: outer\nUserError: outer\n\s+at /);
    expect(text).toMatch(/Caused by:\nError: inner/);
  });
});
