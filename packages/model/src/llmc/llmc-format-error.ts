const marker = Symbol.for('gpt2.error.LlmcFormatError');

/** What is wrong with an llm.c file. */
export type LlmcFormatProblem =
  /** The first int32 is not the file kind's magic number. */
  | 'bad-magic'
  /** The version is one this reader does not know. */
  | 'unknown-version'
  /** A header field is out of range or inconsistent with another one. */
  | 'bad-field'
  /** The file ends before the header says it does. */
  | 'truncated'
  /** The file is longer than the header says, or its size fits no known layout. */
  | 'size-mismatch';

/**
 * An llm.c file (`model.bin`, `tokenizer.bin`, a run's `state_*.bin`) is not
 * what its header claims: wrong magic, unknown version, a header field out of
 * range, a file that ends early, or one whose size disagrees with the header.
 * `field` names the header field (llm.c's names: `magic`, `version`, `maxT`,
 * `V`, `L`, `NH`, `C`, `Vp`, …) or the tensor being read (`qkvw`, …).
 */
export class LlmcFormatError extends Error {
  readonly [marker] = true;
  override readonly name = 'LlmcFormatError';
  /** The file, URL or buffer the bytes came from. */
  readonly source: string;
  /** The header field or tensor at fault. */
  readonly field: string;
  readonly problem: LlmcFormatProblem;
  /** What the reader expected there, when one value was expected. */
  readonly expected: number | string | undefined;
  /** What the file holds. */
  readonly actual: number | string | undefined;

  constructor(options: {
    source: string;
    field: string;
    problem: LlmcFormatProblem;
    message: string;
    expected?: number | string;
    actual?: number | string;
  }) {
    super(`Invalid llm.c file ${options.source} (${options.field}): ${options.message}`);
    this.source = options.source;
    this.field = options.field;
    this.problem = options.problem;
    this.expected = options.expected;
    this.actual = options.actual;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is LlmcFormatError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
