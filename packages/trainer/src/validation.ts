/**
 * Validation: the mean loss over the same batches every time (the source is
 * rewound to its initial state first, dropout off), so losses from different
 * steps compare; and the best loss so far, which decides the `best` checkpoint.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingBatchSource } from './batch-source.js';
import { batchTensors } from './step.js';
import type { TrainableModel } from './trainable-model.js';

/** A validation loss and the optimizer step it was measured at. */
export interface ValidationPoint {
  loss: number;
  step: number;
}

/** Options of {@link validationLoss}. */
export interface ValidationLossOptions {
  model: TrainableModel;
  source: TrainingBatchSource;
  /** The source's state to rewind to before reading (its state when the trainer was created). */
  initialState: unknown;
  /** Batches to average over. */
  batches: number;
}

/** Mean loss over `batches` batches read from `initialState`, with dropout off. */
export async function validationLoss(options: ValidationLossOptions): Promise<number> {
  const { model, source, batches } = options;
  source.setState(options.initialState as { [key: string]: unknown });
  let total = 0;
  for (let i = 0; i < batches; i++) {
    const batch = await source.next();
    const loss = tf.tidy(() => {
      const [ids, targets] = batchTensors(batch);
      return model.loss(ids, targets, { training: false });
    });
    total += (await loss.data())[0]!;
    loss.dispose();
  }
  return total / batches;
}

/** The last and the best validation loss of a run (best survives resumes; last does not). */
export class ValidationHistory {
  #best: ValidationPoint | undefined;
  #last: ValidationPoint | undefined;

  /** Lowest finite validation loss so far. */
  get best(): ValidationPoint | undefined {
    return this.#best;
  }

  /** The latest evaluation of this session. */
  get last(): ValidationPoint | undefined {
    return this.#last;
  }

  /**
   * Record an evaluation.
   * @returns true when it is a new best: finite and lower than every earlier one.
   */
  record(loss: number, step: number): boolean {
    const best = Number.isFinite(loss) && (!this.#best || loss < this.#best.loss);
    this.#last = { loss, step };
    if (best) this.#best = { loss, step };
    return best;
  }

  /** Restore the best from a checkpoint. */
  restoreBest(best: ValidationPoint | undefined): void {
    this.#best = best;
  }
}
