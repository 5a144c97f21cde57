import type { Batch, BatchSource } from '@gpt2/data';

/** Training windows: @gpt2/data's `Batch` ([batchSize, blockSize], targets shifted by one). */
export type TrainingBatch = Batch;

/**
 * Anything the trainer can pull batches from: @gpt2/data's `BatchSource`,
 * plus epoch sizes for epoch-based runs. The trainer never looks inside
 * `getState()`: it saves and restores that state as an opaque value. A
 * `BatchSampler` from @gpt2/data reports all three sizes.
 */
export interface TrainingBatchSource extends BatchSource {
  /** Batches in one epoch, when the source knows (used by epoch-based runs). */
  readonly batchesPerEpoch?: number;
  /** Windows (rows) in one epoch; divided by `batchSize` when `batchesPerEpoch` is absent. */
  readonly windowsPerEpoch?: number;
  /** Rows per batch; with `windowsPerEpoch`, gives the batches in one epoch. */
  readonly batchSize?: number;
}

/** A random number generator (or anything) whose state is saved in checkpoints. */
export interface StatefulGenerator {
  getState(): unknown;
  setState(state: never): void;
}
