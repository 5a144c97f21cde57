import * as tf from '@tensorflow/tfjs-core';

/** Options for {@link measurePeakFlops}. */
export interface MeasurePeakFlopsOptions {
  /** Square matrix size. Default: {@link DEFAULT_PEAK_FLOPS_SIZE}. */
  size?: number;
  /** Timed repetitions after one warm-up; the best one counts. Default: 3. */
  repetitions?: number;
}

/** 512² reaches wasm's fast matMul path and takes ~10–30 ms there. */
export const DEFAULT_PEAK_FLOPS_SIZE = 512;

/**
 * The active backend's FLOP/s on its best case, a warm untransposed square
 * matMul: the denominator of the model FLOP utilisation (MFU) that the trainer
 * and benchmarks report. A measurement, not a datasheet figure, so MFU reads as
 * "share of what this backend can do on this machine". The best repetition
 * counts, since a shared machine only ever makes a run slower.
 */
export async function measurePeakFlops(options: MeasurePeakFlopsOptions = {}): Promise<number> {
  const n = options.size ?? DEFAULT_PEAK_FLOPS_SIZE;
  const repetitions = options.repetitions ?? 3;
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`size must be a positive integer, got ${n}.`);
  if (!Number.isInteger(repetitions) || repetitions < 1) {
    throw new RangeError(`repetitions must be a positive integer, got ${repetitions}.`);
  }
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
    return (2 * n ** 3) / (Math.max(best, 1e-3) / 1000);
  } finally {
    tf.dispose([a, b]);
  }
}
