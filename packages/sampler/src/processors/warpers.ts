import type { LogitProcessor } from './logit-processor.js';

/** Divide logits by `temperature` (> 0). Greedy decoding (temperature 0) does not use a processor. */
export function temperatureProcessor(temperature: number): LogitProcessor {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(
      `temperatureProcessor: temperature must be a finite number > 0, got ${temperature}.`,
    );
  }
  return (logits) => {
    if (temperature === 1) return;
    for (let i = 0; i < logits.length; i++) logits[i] = (logits[i] as number) / temperature;
  };
}

/** Keep the `k` largest logits (ties at the k-th value are kept, as in Hugging Face). */
export function topKProcessor(k: number): LogitProcessor {
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(`topKProcessor: topK must be an integer >= 1, got ${k}.`);
  }
  return (logits) => {
    if (k >= logits.length) return;
    // A typed-array sort is numeric and native: cheaper than a selection in JS for 50k entries.
    const sorted = Float32Array.from(logits).sort();
    const threshold = sorted[logits.length - k] as number;
    for (let i = 0; i < logits.length; i++) {
      if ((logits[i] as number) < threshold) logits[i] = Number.NEGATIVE_INFINITY;
    }
  };
}

/**
 * Nucleus sampling: keep the most likely tokens whose probabilities sum to at
 * least `p` (always at least one).
 */
export function topPProcessor(p: number): LogitProcessor {
  if (!(p > 0 && p <= 1)) {
    throw new RangeError(`topPProcessor: topP must be in (0, 1], got ${p}.`);
  }
  return (logits) => {
    if (p === 1) return;
    let max = Number.NEGATIVE_INFINITY;
    for (const value of logits) if (value > max) max = value;
    const candidates: number[] = [];
    let total = 0;
    for (let i = 0; i < logits.length; i++) {
      const value = logits[i] as number;
      if (value === Number.NEGATIVE_INFINITY) continue;
      candidates.push(i);
      total += Math.exp(value - max);
    }
    // Stable on index for ties, so the kept set is deterministic.
    candidates.sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
    let cumulative = 0;
    let kept = 0;
    for (const index of candidates) {
      if (kept > 0 && cumulative >= p) break;
      cumulative += Math.exp((logits[index] as number) - max) / total;
      kept++;
    }
    for (let j = kept; j < candidates.length; j++) {
      logits[candidates[j] as number] = Number.NEGATIVE_INFINITY;
    }
  };
}

/**
 * Min-p sampling: drop tokens whose probability is below `minP` times the top
 * token's probability. In logit space that is `logit < max + ln(minP)`.
 */
export function minPProcessor(minP: number): LogitProcessor {
  if (!(minP >= 0 && minP <= 1)) {
    throw new RangeError(`minPProcessor: minP must be in [0, 1], got ${minP}.`);
  }
  return (logits) => {
    if (minP === 0) return;
    let max = Number.NEGATIVE_INFINITY;
    for (const value of logits) if (value > max) max = value;
    const threshold = max + Math.log(minP);
    for (let i = 0; i < logits.length; i++) {
      if ((logits[i] as number) < threshold) logits[i] = Number.NEGATIVE_INFINITY;
    }
  };
}
