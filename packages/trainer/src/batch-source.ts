import type { Batch, BatchSource } from '@gpt2/data';

/** Training windows: @gpt2/data's `Batch` ([batchSize, blockSize], targets shifted by one). */
export type TrainingBatch = Batch;

/** Anything the trainer can pull batches from: @gpt2/data's `BatchSource`, plus epoch sizes. */
export interface TrainingBatchSource extends BatchSource {
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
