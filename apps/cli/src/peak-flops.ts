import * as tf from '@tensorflow/tfjs-core';

/** Options for {@link measurePeakFlops}. */
export interface MeasurePeakFlopsOptions {
  /** Square matrix size. Default: {@link DEFAULT_PEAK_FLOPS_SIZE}. */
  size?: number;
  /** Timed repetitions after one warm-up. Default: 3. */
  repetitions?: number;
}

/** 512² is large enough to reach wasm's fast matMul path and takes ~30 ms there. */
export const DEFAULT_PEAK_FLOPS_SIZE = 512;

/**
 * The active backend's FLOP/s on its best case, a warm untransposed square
 * matMul: the denominator of the "FLOP utilisation" (MFU) the trainer reports.
 * A measurement, not a datasheet figure, so MFU reads as "share of what this
 * backend can do on this machine".
 */
export async function measurePeakFlops(options: MeasurePeakFlopsOptions = {}): Promise<number> {
  const n = options.size ?? DEFAULT_PEAK_FLOPS_SIZE;
  const repetitions = options.repetitions ?? 3;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  try {
    const warm = tf.matMul(a, b);
    await warm.data();
    warm.dispose();
    const start = performance.now();
    for (let i = 0; i < repetitions; i++) {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    }
    const seconds = Math.max((performance.now() - start) / 1000, 1e-6);
    return (2 * n ** 3 * repetitions) / seconds;
  } finally {
    tf.dispose([a, b]);
  }
}
