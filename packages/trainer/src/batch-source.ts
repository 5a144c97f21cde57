/**
 * The batch interfaces the trainer reads. They are structurally the
 * `Batch`/`BatchSource` of @gpt2/data, so its samplers plug in directly.
 */

/** Training windows, row-major [batchSize, blockSize]; targets are inputs shifted by one. */
export interface TrainingBatch {
  inputs: Int32Array;
  targets: Int32Array;
  batchSize: number;
  blockSize: number;
}

/** Anything the trainer can pull batches from, with JSON state for exact resume. */
export interface TrainingBatchSource {
  next(): Promise<TrainingBatch>;
  getState(): { [key: string]: unknown };
  setState(state: { [key: string]: unknown }): void;
  /** Batches in one epoch, when the source knows (used by epoch-based runs). */
  readonly batchesPerEpoch?: number;
  /**
   * Windows (rows) in one epoch, as @gpt2/data's samplers report; divided by
   * the `batchSize` in `getState()` when `batchesPerEpoch` is absent.
   */
  readonly windowsPerEpoch?: number;
}

/** A random number generator (or anything) whose state is saved in checkpoints. */
export interface StatefulGenerator {
  getState(): unknown;
  setState(state: never): void;
}
