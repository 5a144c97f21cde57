import type { RandomSource } from './types.js';

/**
 * log Σ exp(x) over a row, in float64; −Infinity when every entry is −Infinity.
 * `max`, when the caller already knows the row's largest entry (the greedy
 * token's logit), saves a pass over the row.
 */
export function logSumExp(row: ArrayLike<number>, max?: number): number {
  if (max === undefined) {
    max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < row.length; i++) if ((row[i] as number) > max) max = row[i] as number;
  }
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp((row[i] as number) - max);
  return max + Math.log(sum);
}

/** Index of the largest entry (the lowest index on ties, like argmax in PyTorch). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) {
    if ((row[i] as number) > bestValue) {
      bestValue = row[i] as number;
      best = i;
    }
  }
  return best;
}

/**
 * Draw an index with probability softmax(logits): one uniform draw, inverse
 * CDF in index order. Exactly one draw per call, so a seeded generator gives
 * the same tokens whatever the backend's float noise.
 */
export function sampleFromLogits(logits: ArrayLike<number>, random: RandomSource): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++)
    if ((logits[i] as number) > max) max = logits[i] as number;
  if (max === Number.NEGATIVE_INFINITY) {
    throw new RangeError(
      'sampleFromLogits: every token was filtered out (all logits are -Infinity).',
    );
  }
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp((logits[i] as number) - max);
  const target = random.nextFloat() * total;
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < logits.length; i++) {
    const weight = Math.exp((logits[i] as number) - max);
    if (weight === 0) continue;
    cumulative += weight;
    last = i;
    if (cumulative > target) return i;
  }
  // Rounding can leave target a hair above the final cumulative sum.
  return last;
}
