const marker = Symbol.for('gpt2.error.DataSourceError');

/** What is wrong with an input source. */
export type DataSourceErrorReason =
  /** A file, folder or glob that does not exist or matches nothing. */
  | 'missing'
  /** The sources hold no text at all. */
  | 'empty'
  /** Bytes that are not valid UTF-8 (with `invalidUtf8: 'error'`). */
  | 'invalid-utf8'
  /** A JSONL line that does not parse as JSON. */
  | 'invalid-json'
  /** A JSONL record without the chosen text field, or whose field is not a string. */
  | 'missing-field'
  /** Reading failed for another reason (permissions, a network stream that errored, ...). */
  | 'read-failed'
  /** A value passed as a source that is none of the supported kinds. */
  | 'unsupported';

/**
 * An input source cannot be read as text. The message names the source (file path, glob or
 * stream name), the line or byte offset when known, and what is wrong.
 */
export class DataSourceError extends Error {
  readonly [marker] = true;
  override readonly name = 'DataSourceError';
  /** File path, glob, or name of the stream/blob. */
  readonly source: string;
  readonly reason: DataSourceErrorReason;
  /** 1-based line number, for line-oriented problems. */
  readonly line: number | undefined;
  /** 0-based byte offset, for invalid UTF-8. */
  readonly byteOffset: number | undefined;

  constructor(options: {
    source: string;
    reason: DataSourceErrorReason;
    message: string;
    line?: number;
    byteOffset?: number;
    cause?: unknown;
  }) {
    const where =
      options.line !== undefined
        ? `${options.source}:${options.line}`
        : options.byteOffset !== undefined
          ? `${options.source} (byte ${options.byteOffset})`
          : options.source;
    super(`${where}: ${options.message}`, { cause: options.cause });
    this.source = options.source;
    this.reason = options.reason;
    this.line = options.line;
    this.byteOffset = options.byteOffset;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is DataSourceError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
