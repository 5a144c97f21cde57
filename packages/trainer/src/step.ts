/**
 * One optimizer step: forward and backward over the step's micro-batches
 * (gradients summed, loss averaged), the non-finite guard, clipping to the
 * global gradient norm, and the AdamW update at the scheduled learning rate.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingBatch, TrainingBatchSource } from './batch-source.js';
import type { TrainingConfig } from './config.js';
import type { AdamW } from './optimizer/adamw.js';
import { clipCoefficient, globalNorm } from './optimizer/clip.js';
import { type LearningRateSchedule, learningRateAt } from './schedule/learning-rate.js';
import type { TrainableModel } from './trainable-model.js';

/** What one step did; a skipped step (non-finite loss or gradient norm) changed no weight. */
export interface StepOutcome {
  /** Mean training loss over the step's micro-batches. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Learning rate of the step. */
  lr: number;
  /** Tokens read by the step (all micro-batches), skipped or not. */
  tokens: number;
  /** True when the loss or the gradient norm was NaN or infinite: no update was made. */
  skipped: boolean;
}

/** Options of {@link TrainingStep}. */
export interface TrainingStepOptions {
  model: TrainableModel;
  /** The variables to optimize, by name (the frozen ones left out). */
  trainable: ReadonlyMap<string, tf.Variable>;
  optimizer: AdamW;
  config: TrainingConfig;
  train: TrainingBatchSource;
}

/** A batch as the int32 [B, T] tensors `model.loss` takes. */
export function batchTensors(batch: TrainingBatch): [tf.Tensor2D, tf.Tensor2D] {
  const shape: [number, number] = [batch.batchSize, batch.blockSize];
  return [tf.tensor2d(batch.inputs, shape, 'int32'), tf.tensor2d(batch.targets, shape, 'int32')];
}

/** Runs optimizer steps; holds no tensors between them. */
export class TrainingStep {
  readonly #options: TrainingStepOptions;

  constructor(options: TrainingStepOptions) {
    this.#options = options;
  }

  /**
   * One optimizer step.
   * @param step - optimizer steps done before this one: the schedule's position.
   * @param schedule - the schedule in effect (a time budget's plan replaces the config's).
   */
  async run(
    step: number,
    schedule: LearningRateSchedule = this.#options.config.schedule,
  ): Promise<StepOutcome> {
    const { optimizer, config, trainable } = this.#options;
    const { grads, loss, tokens } = await this.#accumulate();
    const norm = globalNorm(grads);
    const [lossData, normData] = await Promise.all([loss.data(), norm.data()]);
    const lossValue = lossData[0]!;
    const gradNorm = normData[0]!;
    const lr = learningRateAt(schedule, step);
    const skipped = !Number.isFinite(lossValue) || !Number.isFinite(gradNorm);
    if (!skipped) {
      const names = [...trainable.keys()];
      optimizer.apply(
        new Map(names.map((name, i) => [name, grads[i]!])),
        lr,
        clipCoefficient(gradNorm, config.gradClip),
      );
    }
    tf.dispose([...grads, loss, norm]);
    return { loss: lossValue, gradNorm, lr, tokens, skipped };
  }

  /** Forward and backward over the step's micro-batches; grads summed, loss averaged. */
  async #accumulate(): Promise<{ grads: tf.Tensor[]; loss: tf.Scalar; tokens: number }> {
    const { model, config, train } = this.#options;
    const steps = config.gradientAccumulationSteps;
    const variables = [...this.#options.trainable.values()];
    let grads: tf.Tensor[] | undefined;
    let loss: tf.Scalar | undefined;
    let tokens = 0;
    for (let micro = 0; micro < steps; micro++) {
      const batch = await train.next();
      tokens += batch.batchSize * batch.blockSize;
      const result = tf.tidy(() => {
        const [ids, targets] = batchTensors(batch);
        return tf.variableGrads(() => {
          const value = model.loss(ids, targets, {
            training: true,
            labelSmoothing: config.labelSmoothing,
            ...(config.recompute ? { recompute: true } : {}),
          });
          // Each micro-batch's mean loss is scaled by 1/steps, so the summed gradient is that of the big batch's mean.
          return steps === 1 ? value : (tf.div(value, steps) as tf.Scalar);
        }, variables);
      });
      const micrograds = variables.map(
        (v) => (result.grads[v.name] as tf.Tensor | undefined) ?? tf.zerosLike(v),
      );
      if (!grads || !loss) {
        grads = micrograds;
        loss = result.value;
      } else {
        // One parameter at a time, so the sum never holds a third set of gradients.
        const sums = grads;
        sums.forEach((g, i) => {
          sums[i] = tf.add(g, micrograds[i]!);
          tf.dispose([g, micrograds[i]!]);
        });
        const previousLoss = loss;
        loss = tf.add(previousLoss, result.value) as tf.Scalar;
        tf.dispose([previousLoss, result.value]);
      }
    }
    return { grads: grads!, loss: loss!, tokens };
  }
}
