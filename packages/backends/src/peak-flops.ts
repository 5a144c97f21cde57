import * as tf from '@tensorflow/tfjs-core';

/** Options for {@link measurePeakFlops}. */
export interface MeasurePeakFlopsOptions {
  /**
   * Time this one square size only. Default: none, a sweep (see
   * {@link measurePeakFlops}) from {@link DEFAULT_PEAK_FLOPS_SIZE} up to `maxSize`.
   */
  size?: number;
  /** Largest size the sweep tries. Default: {@link DEFAULT_PEAK_FLOPS_MAX_SIZE}. */
  maxSize?: number;
  /** The sweep stops growing once one product takes longer than this, in ms. Default: 500. */
  maxMsPerCall?: number;
  /** Timed repetitions per size after one warm-up; the best one counts. Default: 3. */
  repetitions?: number;
}

/** First size of the sweep: 512² reaches wasm's fast matMul path and takes ~10–30 ms there. */
export const DEFAULT_PEAK_FLOPS_SIZE = 512;
/** Last size of the sweep: 2048² is where multi-threaded sgemm has saturated on the machines we measured. */
export const DEFAULT_PEAK_FLOPS_MAX_SIZE = 2048;

/** Sizes whose rate improves by less than this are taken as saturated. */
const SATURATION_GAIN = 1.05;

async function timeSize(n: number, repetitions: number): Promise<number> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  try {
    const warm = tf.matMul(a, b);
    await warm.data(); // the first call of a shape packs weights
    warm.dispose();
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < repetitions; i++) {
      const start = performance.now();
      const c = tf.matMul(a, b);
      await c.data();
      best = Math.min(best, performance.now() - start);
      c.dispose();
    }
    return Math.max(best, 1e-3);
  } finally {
    tf.dispose([a, b]);
  }
}

/**
 * The active backend's FLOP/s on its best case, a warm untransposed square
 * matMul with everything the backend has (all its threads): the denominator
 * of the model FLOP utilisation (MFU) that the trainer and benchmarks report.
 * A measurement, not a datasheet figure, so MFU reads as "share of what this
 * backend can do on this machine".
 *
 * Small products do not keep every thread busy (a 512² sgemm on two OpenBLAS
 * threads runs well below their peak, and a training step's bigger products
 * then measured above 100% of it), so by default the size doubles from 512
 * while the rate still rises by 5% or more, up to 2048², or until one product
 * takes longer than `maxMsPerCall` (plain-JS backends stop early). The best
 * repetition of the best size counts: a shared machine only ever makes a run
 * slower.
 */
export async function measurePeakFlops(options: MeasurePeakFlopsOptions = {}): Promise<number> {
  const repetitions = options.repetitions ?? 3;
  const maxSize = options.maxSize ?? DEFAULT_PEAK_FLOPS_MAX_SIZE;
  const maxMs = options.maxMsPerCall ?? 500;
  for (const [name, value] of [
    ['size', options.size ?? DEFAULT_PEAK_FLOPS_SIZE],
    ['maxSize', maxSize],
    ['repetitions', repetitions],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`${name} must be a positive integer, got ${value}.`);
  }
  const rate = (n: number, ms: number) => (2 * n ** 3) / (ms / 1000);
  if (options.size !== undefined)
    return rate(options.size, await timeSize(options.size, repetitions));
  let best = 0;
  for (let n = Math.min(DEFAULT_PEAK_FLOPS_SIZE, maxSize); n <= maxSize; n *= 2) {
    const ms = await timeSize(n, repetitions);
    const flops = rate(n, ms);
    const saturated = flops < best * SATURATION_GAIN;
    best = Math.max(best, flops);
    if (saturated || ms > maxMs) break;
  }
  return best;
}
