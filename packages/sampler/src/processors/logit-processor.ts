/** What a {@link LogitProcessor} may look at besides the logits. */
export interface LogitProcessorContext {
  /** The whole sequence so far: prompt (after any truncation) and generated tokens. */
  readonly tokens: readonly number[];
  /** How many of `tokens` are the prompt. */
  readonly promptLength: number;
  /** Row index in the batch (or beam index). */
  readonly sequence: number;
}

/**
 * Rewrites one row of next-token logits in place. Set a logit to `-Infinity`
 * to forbid a token. Processors are plain functions so users can add their own
 * and order them with {@link composeProcessors}.
 */
export type LogitProcessor = (logits: Float32Array, context: LogitProcessorContext) => void;

/** Run processors left to right as one. */
export function composeProcessors(...processors: LogitProcessor[]): LogitProcessor {
  return (logits, context) => {
    for (const processor of processors) processor(logits, context);
  };
}
