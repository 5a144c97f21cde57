/** A read-only sequence of token ids, read at offsets (whole in memory or behind file handles). */
export interface TokenDataset {
  /** Name used in error messages (e.g. the shard folder and split). */
  readonly name: string;
  /** Number of tokens. */
  readonly length: number;
  /**
   * Copy tokens `[start, start + target.length)` into `target`.
   * @throws RangeError when the range is outside the dataset.
   */
  read(start: number, target: Int32Array): Promise<void>;
  /** Release file handles; reading afterwards throws. A no-op for in-memory datasets. */
  close(): Promise<void>;
}

/** Options of {@link tokenDatasetFromArray}. */
export interface TokenDatasetFromArrayOptions {
  /** Name used in error messages. Default `'in-memory tokens'`. */
  name?: string;
}

/** Throw a RangeError unless `[start, start + count)` lies inside a dataset of `length` tokens. */
export function assertRange(name: string, length: number, start: number, count: number): void {
  if (!Number.isInteger(start) || start < 0 || start + count > length) {
    throw new RangeError(
      `${name}: cannot read tokens [${start}, ${start + count}) from a dataset of ${length} tokens`,
    );
  }
}

/**
 * Wrap tokens already in memory as a {@link TokenDataset} (the array is not copied).
 * Works in every environment; use it for small corpora and in the browser.
 */
export function tokenDatasetFromArray(
  tokens: Uint16Array | Uint32Array | Int32Array | number[],
  options: TokenDatasetFromArrayOptions = {},
): TokenDataset {
  const name = options.name ?? 'in-memory tokens';
  const data = Array.isArray(tokens) ? Int32Array.from(tokens) : tokens;
  let closed = false;
  return {
    name,
    length: data.length,
    async read(start, target) {
      if (closed) throw new Error(`${name}: dataset is closed`);
      assertRange(name, data.length, start, target.length);
      target.set(data.subarray(start, start + target.length));
    },
    async close() {
      closed = true;
    },
  };
}
