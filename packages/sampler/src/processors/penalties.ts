import type { LogitProcessor } from './logit-processor.js';

/**
 * CTRL's repetition penalty (Keskar et al. 2019), as Hugging Face applies it:
 * every token already in the sequence (prompt included) has a positive logit
 * divided by `penalty` and a negative one multiplied by it. 1 is off.
 */
export function repetitionPenaltyProcessor(penalty: number): LogitProcessor {
  if (!(penalty > 0) || !Number.isFinite(penalty)) {
    throw new RangeError(
      `repetitionPenaltyProcessor: penalty must be a finite number > 0, got ${penalty}.`,
    );
  }
  return (logits, { tokens }) => {
    if (penalty === 1) return;
    for (const token of new Set(tokens)) {
      const value = logits[token];
      if (value === undefined) continue;
      logits[token] = value > 0 ? value / penalty : value * penalty;
    }
  };
}

/** Options for {@link presenceFrequencyPenaltyProcessor}. */
export interface PresenceFrequencyPenaltyOptions {
  /** Subtracted once from the logit of every token that was generated. Default: 0. */
  presencePenalty?: number;
  /** Subtracted from a token's logit once per time it was generated. Default: 0. */
  frequencyPenalty?: number;
}

/**
 * OpenAI's presence and frequency penalties:
 * `logit[j] -= count[j] * frequency + (count[j] > 0) * presence`, counting only
 * generated tokens (the prompt is the user's text, not a repetition).
 */
export function presenceFrequencyPenaltyProcessor(
  options: PresenceFrequencyPenaltyOptions,
): LogitProcessor {
  const presence = options.presencePenalty ?? 0;
  const frequency = options.frequencyPenalty ?? 0;
  for (const [name, value] of [
    ['presencePenalty', presence],
    ['frequencyPenalty', frequency],
  ] as const) {
    if (!Number.isFinite(value)) {
      throw new RangeError(
        `presenceFrequencyPenaltyProcessor: ${name} must be finite, got ${value}.`,
      );
    }
  }
  return (logits, { tokens, promptLength }) => {
    const counts = new Map<number, number>();
    for (let i = promptLength; i < tokens.length; i++) {
      const token = tokens[i] as number;
      counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    for (const [token, count] of counts) {
      const value = logits[token];
      if (value === undefined) continue;
      logits[token] = value - count * frequency - presence;
    }
  };
}

/**
 * Forbid any token that would complete an n-gram of size `n` already present
 * in the sequence (Hugging Face's `no_repeat_ngram_size`; prompt included).
 */
export function noRepeatNgramProcessor(n: number): LogitProcessor {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`noRepeatNgramProcessor: n must be an integer >= 1, got ${n}.`);
  }
  return (logits, { tokens }) => {
    const length = tokens.length;
    if (length + 1 < n) return;
    // The n-1 tokens the next token would extend.
    const prefixStart = length - (n - 1);
    for (let start = 0; start + n <= length; start++) {
      let match = true;
      for (let j = 0; j < n - 1; j++) {
        if (tokens[start + j] !== tokens[prefixStart + j]) {
          match = false;
          break;
        }
      }
      if (match) {
        const banned = tokens[start + n - 1] as number;
        if (banned < logits.length) logits[banned] = Number.NEGATIVE_INFINITY;
      }
    }
  };
}

/** Forbid the given token ids (for example EOT until a minimum length). */
export function suppressTokensProcessor(tokenIds: Iterable<number>): LogitProcessor {
  const ids = [...tokenIds];
  return (logits) => {
    for (const id of ids) if (id >= 0 && id < logits.length) logits[id] = Number.NEGATIVE_INFINITY;
  };
}
