const marker = Symbol.for('gpt2.error.ShardFormatError');

/** What is wrong with a token shard. */
export type ShardFormatErrorReason =
  /** The first int32 is not llm.c's magic number 20240520. */
  | 'bad-magic'
  /** The header's version is neither 1 (uint16 tokens) nor 2 (uint32 tokens). */
  | 'bad-version'
  /** The file is shorter than its header says (or shorter than the header itself). */
  | 'truncated'
  /** The file is longer than its header says, or a raw file has an odd byte count. */
  | 'size-mismatch'
  /** The file's SHA-256 differs from the manifest's. */
  | 'checksum-mismatch'
  /** The manifest is missing, not JSON, or lacks required fields. */
  | 'bad-manifest';

/** A token shard or its manifest is corrupt or not in the expected format. */
export class ShardFormatError extends Error {
  readonly [marker] = true;
  override readonly name = 'ShardFormatError';
  /** Path (or name) of the offending shard or manifest. */
  readonly file: string;
  readonly reason: ShardFormatErrorReason;

  constructor(options: {
    file: string;
    reason: ShardFormatErrorReason;
    message: string;
    cause?: unknown;
  }) {
    super(`${options.file}: ${options.message}`, { cause: options.cause });
    this.file = options.file;
    this.reason = options.reason;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is ShardFormatError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
