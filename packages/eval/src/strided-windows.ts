/** One window of the strided protocol. */
export interface StridedWindow {
  /** First token of the window (global index). */
  begin: number;
  /** One past the last token (global index). */
  end: number;
  /** First scored token (global index); tokens in [scoreFrom, end) are scored, the rest are context. */
  scoreFrom: number;
}

/** Options for {@link planStridedWindows}. */
export interface StridedWindowOptions {
  /** Tokens per window (the model's `nPositions` in Hugging Face's protocol). */
  contextLength: number;
  /** Distance between window starts, in [1, contextLength]. */
  stride: number;
}

export function checkWindowOptions({ contextLength, stride }: StridedWindowOptions): void {
  if (!Number.isInteger(contextLength) || contextLength < 2) {
    throw new RangeError(
      `perplexity: contextLength must be an integer >= 2, got ${contextLength}.`,
    );
  }
  if (!Number.isInteger(stride) || stride < 1 || stride > contextLength) {
    throw new RangeError(
      `perplexity: stride must be an integer in [1, contextLength=${contextLength}], got ${stride}.`,
    );
  }
}

/**
 * Hugging Face's sliding-window plan ("Perplexity of fixed-length models"),
 * counted exactly: windows start at 0, stride, 2·stride, …, each holds up to
 * `contextLength` tokens and ends at min(begin + contextLength, N); only the
 * tokens after the previous window's end are scored, the rest are context. A
 * token needs a predecessor inside its window, so a window's first token is
 * never scored (token 0 of the sequence, and every window start when
 * stride = contextLength). Stops after the first window that reaches N.
 * Windows that score no token (a last window of one token) are left out, so
 * every window in the plan scores at least one token.
 */
export function planStridedWindows(
  numTokens: number,
  options: StridedWindowOptions,
): StridedWindow[] {
  checkWindowOptions(options);
  const windows: StridedWindow[] = [];
  let previousEnd = 0;
  for (let begin = 0; begin < numTokens; begin += options.stride) {
    const end = Math.min(begin + options.contextLength, numTokens);
    const scoreFrom = Math.max(previousEnd, begin + 1);
    // HF's loop runs a last window of one token too, but it scores nothing: leave it out.
    if (scoreFrom < end) windows.push({ begin, end, scoreFrom });
    previousEnd = end;
    if (end === numTokens) break;
  }
  return windows;
}
