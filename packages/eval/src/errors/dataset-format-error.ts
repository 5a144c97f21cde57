const MARKER = Symbol.for('gpt2.error.DatasetFormatError');

/** A dataset file does not have the published format (names the dataset, the line and what is wrong). */
export class DatasetFormatError extends Error {
  readonly [MARKER] = true;
  override readonly name = 'DatasetFormatError';
  /** 'lambada' or 'hellaswag'. */
  readonly dataset: string;
  /** 1-based line number in the JSONL text. */
  readonly line: number;

  constructor(dataset: string, line: number, problem: string) {
    super(`${dataset}: line ${line}: ${problem}`);
    this.dataset = dataset;
    this.line = line;
  }

  /** True for a DatasetFormatError from any copy of this package. */
  static isInstance(error: unknown): error is DatasetFormatError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}
