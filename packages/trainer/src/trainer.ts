/**
 * The training loop. A {@link Trainer} composes the step (`step.ts`),
 * validation (`validation.ts`), checkpointing (`checkpoint/`) and metrics
 * (`metrics.ts`), and decides when each happens: evaluate at the start, every
 * `evalInterval` steps and at the end; checkpoint every `checkpointInterval`
 * steps, on a new best and at the end; stop at the step, epoch or time limit,
 * on the abort signal, or after too many non-finite steps. With a time budget,
 * the planner (`schedule/time-budget.ts`) sets the step count and schedule.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { StatefulGenerator, TrainingBatchSource } from './batch-source.js';
import type { CheckpointStore } from './checkpoint/checkpoint-store.js';
import {
  Checkpointer,
  defaultWeightsCodec,
  type TrainingProgress,
} from './checkpoint/checkpointer.js';
import {
  BEST_CHECKPOINT,
  isStepCheckpoint,
  latestCheckpoint,
  stepCheckpointName,
} from './checkpoint/naming.js';
import {
  resolveTrainingConfig,
  type TrainingConfig,
  type TrainingConfigInput,
  trainableParameters,
} from './config.js';
import { NonFiniteError } from './errors/non-finite-error.js';
import type { CheckpointEvent, StopReason, TrainerEvent } from './events.js';
import { RunMetrics } from './metrics.js';
import { AdamW } from './optimizer/adamw.js';
import type { LearningRateSchedule } from './schedule/learning-rate.js';
import { TimeBudgetPlanner } from './schedule/time-budget.js';
import { TrainingStep } from './step.js';
import type { TrainableModel, WeightsCodec } from './trainable-model.js';
import { ValidationHistory, validationLoss } from './validation.js';

/** Options for {@link createTrainer}. */
export interface TrainerOptions {
  /** The model to train (a GPT2Model, or anything with `parameters()` and `loss()`). */
  model: TrainableModel;
  /** Training batches. */
  train: TrainingBatchSource;
  /** Validation batches; without them, no evaluation and no best checkpoint. Default: none. */
  val?: TrainingBatchSource;
  /** Training settings. Default: {@link DEFAULT_TRAINING_CONFIG}. */
  config?: TrainingConfigInput;
  /** Where checkpoints go. Default: none (no checkpoints are written). */
  store?: CheckpointStore;
  /** Receives step, skip, eval, plan, replan, checkpoint and stop events. Default: none. */
  onEvent?: (event: TrainerEvent) => void;
  /** Stops the run (with a checkpoint) at the next step boundary. Default: none. */
  signal?: AbortSignal;
  /** Peak FLOP/s of the device, for model FLOP utilisation. Default: none (mfu undefined). */
  peakFlops?: number;
  /** Tokenizer to record in checkpoints (its `toJSON()` is stored and checked on resume). Default: none. */
  tokenizer?: { toJSON(): unknown };
  /**
   * Weights (de)serializer. Default: @gpt2/model's safetensors functions
   * ({@link GPT2_WEIGHTS_CODEC}); for a `LoraModel`, PEFT adapter files
   * (`createLoraWeightsCodec()`), so checkpoints hold the adapters only.
   */
  weightsCodec?: WeightsCodec;
  /** Extra stateful generators saved in and restored from checkpoints (key `model` is reserved for the model's own). Default: none. */
  rngs?: Record<string, StatefulGenerator>;
  /** Milliseconds clock. Default: `performance.now`. */
  clock?: () => number;
}

/** What {@link Trainer.run} returns. */
export interface TrainResult {
  /** Optimizer steps done (across resumes). */
  step: number;
  reason: Exclude<StopReason, 'non-finite'>;
  /** Last validation loss, if the run evaluated. */
  valLoss: number | undefined;
  /** Best validation loss, if the run evaluated. */
  bestValLoss: number | undefined;
  /** Training loss of each step of this session, in order. */
  losses: number[];
  /** Name of the checkpoint written when the run stopped, if a store was given. */
  checkpoint: string | undefined;
}

/** Options for {@link Trainer.resume}. */
export interface ResumeOptions {
  /** Checkpoint to resume. Default: the latest `step-N` in the store. */
  name?: string;
}

/**
 * The training loop: AdamW with a learning-rate schedule, gradient
 * accumulation and clipping, periodic evaluation, checkpoints (last K + best),
 * exact resume, a NaN/Inf guard, and events for UIs. Create with
 * {@link createTrainer}.
 */
export class Trainer {
  /** The resolved training settings. */
  readonly config: TrainingConfig;
  readonly #options: TrainerOptions;
  readonly #trainable: Map<string, tf.Variable>;
  readonly #optimizer: AdamW;
  readonly #step: TrainingStep;
  readonly #metrics: RunMetrics;
  readonly #checkpointer: Checkpointer | undefined;
  readonly #validation = new ValidationHistory();
  /** Fits the schedule to `config.timeBudget`, when set. */
  readonly #planner: TimeBudgetPlanner | undefined;
  /** The validation source's state at creation: every evaluation replays the same batches. */
  readonly #initialValState: unknown;
  #stepCount = 0;
  #tokensSeen = 0;
  #lastSavedStep = -1;

  constructor(options: TrainerOptions) {
    this.#options = options;
    this.config = resolveTrainingConfig(options.config);
    const model = options.model;
    this.#trainable = trainableParameters(model.parameters(), this.config.freeze);
    this.#optimizer = new AdamW(this.#trainable, this.config.optimizer);
    this.#initialValState = options.val?.getState();
    this.#metrics = new RunMetrics({
      clock: options.clock ?? (() => performance.now()),
      model,
      peakFlops: options.peakFlops,
    });
    this.#planner =
      this.config.timeBudget === null
        ? undefined
        : new TimeBudgetPlanner(this.config.timeBudget, {
            maxSteps: this.config.maxSteps,
            evalInterval: this.config.evalInterval,
            evaluates: options.val !== undefined,
          });
    this.#step = new TrainingStep({
      model,
      trainable: this.#trainable,
      optimizer: this.#optimizer,
      config: this.config,
      train: options.train,
    });
    this.#checkpointer = options.store
      ? new Checkpointer({
          store: options.store,
          model,
          trainable: this.#trainable,
          optimizer: this.#optimizer,
          codec: options.weightsCodec ?? defaultWeightsCodec(model),
          config: this.config,
          train: options.train,
          valState: this.#initialValState,
          rngs: options.rngs ?? {},
          tokenizer: options.tokenizer,
        })
      : undefined;
  }

  /** Optimizer steps done so far (across resumes). */
  get step(): number {
    return this.#stepCount;
  }

  /** Best validation loss so far, if any evaluation ran. */
  get bestValLoss(): number | undefined {
    return this.#validation.best?.loss;
  }

  /** Names of the parameters being optimized (all but the frozen ones). */
  get trainableParameterNames(): string[] {
    return [...this.#trainable.keys()];
  }

  #emit(event: TrainerEvent): void {
    this.#options.onEvent?.(event);
  }

  #progress(): TrainingProgress {
    return {
      step: this.#stepCount,
      tokensSeen: this.#tokensSeen,
      elapsedMs: this.#metrics.elapsedMs(),
      best: this.#validation.best,
      schedule: this.#schedule(),
      timeBudget: this.#planner?.plan ?? null,
    };
  }

  /** The schedule in effect: the config's, or the time budget's plan. */
  #schedule(): LearningRateSchedule {
    return this.#planner?.schedule ?? this.config.schedule;
  }

  /** A time budget not planned yet: the step count is not known. */
  #awaitingPlan(): boolean {
    return this.#planner !== undefined && this.#planner.plan === undefined;
  }

  #stepsPerEpoch(): number | undefined {
    if (this.config.epochs === 0 && this.config.stepsPerEpoch === 0) return undefined;
    if (this.config.stepsPerEpoch > 0) return this.config.stepsPerEpoch;
    const train = this.#options.train;
    const batches =
      train.batchesPerEpoch ??
      (train.windowsPerEpoch !== undefined && train.batchSize !== undefined
        ? Math.floor(train.windowsPerEpoch / train.batchSize)
        : undefined);
    if (batches === undefined) {
      throw new RangeError(
        'Training config: epochs needs stepsPerEpoch, or a batch source that reports batchesPerEpoch, or windowsPerEpoch and batchSize.',
      );
    }
    return Math.max(1, Math.floor(batches / this.config.gradientAccumulationSteps));
  }

  #totalSteps(): number | undefined {
    if (this.#planner) return this.#planner.totalSteps(this.config.maxSteps);
    const perEpoch = this.#stepsPerEpoch();
    if (this.config.epochs > 0 && perEpoch !== undefined) return this.config.epochs * perEpoch;
    return this.config.maxSteps > 0 ? this.config.maxSteps : undefined;
  }

  /**
   * Mean validation loss over `evalBatches` batches (dropout off). The
   * validation source is rewound first, so every evaluation sees the same batches.
   * @throws RangeError when the trainer has no validation source.
   */
  async evaluate(): Promise<number> {
    const val = this.#options.val;
    if (!val) throw new RangeError('evaluate: the trainer has no validation source (options.val).');
    return validationLoss({
      model: this.#options.model,
      source: val,
      initialState: this.#initialValState,
      batches: this.config.evalBatches,
    });
  }

  async #evaluateAndKeepBest(): Promise<void> {
    const started = this.#metrics.now();
    const valLoss = await this.evaluate();
    this.#planner?.recordEval(this.#metrics.now() - started);
    const best = this.#validation.record(valLoss, this.#stepCount);
    this.#emit({
      type: 'eval',
      step: this.#stepCount,
      valLoss,
      batches: this.config.evalBatches,
      best,
    });
    if (best && this.config.keepBest && this.#checkpointer) {
      await this.save(BEST_CHECKPOINT, 'best');
    }
  }

  /**
   * Write a checkpoint now. Default name: `step-N`. Writing a `step-N`
   * checkpoint prunes the older ones beyond `keepLast`.
   * @returns the checkpoint's name.
   * @throws CheckpointWriteError (earlier checkpoints stay intact); RangeError without a store.
   */
  async save(
    name = stepCheckpointName(this.#stepCount),
    reason: CheckpointEvent['reason'] = 'manual',
  ): Promise<string> {
    const checkpointer = this.#checkpointer;
    if (!checkpointer)
      throw new RangeError('save: the trainer has no checkpoint store (options.store).');
    await checkpointer.write(name, () => this.#progress());
    if (isStepCheckpoint(name)) {
      this.#lastSavedStep = this.#stepCount;
      await checkpointer.prune();
    }
    this.#emit({
      type: 'checkpoint',
      step: this.#stepCount,
      name,
      location: checkpointer.store.locate(name),
      reason,
    });
    return name;
  }

  /**
   * Restore weights, optimizer moments and step, schedule position, sampler
   * and RNG states from a checkpoint, so training continues exactly.
   * @returns the checkpoint's name, or undefined when the store holds none and no name was given.
   * @throws InvalidCheckpointError for a corrupt or foreign checkpoint;
   *   CheckpointMismatchError when the model, tokenizer or frozen set differ.
   */
  async resume(options: ResumeOptions = {}): Promise<string | undefined> {
    const checkpointer = this.#checkpointer;
    if (!checkpointer)
      throw new RangeError('resume: the trainer has no checkpoint store (options.store).');
    const name = options.name ?? (await latestCheckpoint(checkpointer.store));
    if (name === undefined) return undefined;
    const progress = await checkpointer.restore(name);
    this.#stepCount = progress.step;
    this.#tokensSeen = progress.tokensSeen;
    this.#metrics.restoreElapsed(progress.elapsedMs);
    this.#validation.restoreBest(progress.best);
    this.#planner?.restore(progress.timeBudget);
    this.#lastSavedStep = progress.step;
    return name;
  }

  /**
   * Train until the step/epoch limit, the time limit or the abort signal;
   * then evaluate (if there is a validation source), save a checkpoint (if
   * there is a store) and emit `stop`.
   * @throws NonFiniteError after `maxNonFiniteSteps` non-finite steps in a row (nothing is saved);
   *   CheckpointWriteError when saving fails; RangeError when the run has no limit at all.
   */
  async run(): Promise<TrainResult> {
    let total = this.#totalSteps();
    const signal = this.#options.signal;
    const { config } = this;
    const planner = this.#planner;
    if (total === undefined && config.maxTimeMs === 0 && !signal && !planner) {
      throw new RangeError(
        'run: set maxSteps, epochs, maxTimeMs or timeBudget, or pass a signal; otherwise it never stops.',
      );
    }
    planner?.startSession({ step: this.#stepCount, elapsedMs: this.#metrics.elapsedMs() });
    const perEpoch = this.#stepsPerEpoch();
    const metrics = this.#metrics;
    metrics.startSession();
    const losses: number[] = [];
    const firstStep = this.#stepCount;
    let consecutive = 0;
    let reason: TrainResult['reason'];
    try {
      if (
        this.#options.val &&
        config.evalAtStart &&
        this.#stepCount === 0 &&
        !this.#validation.last
      ) {
        await this.#evaluateAndKeepBest();
      }
      for (;;) {
        if (total !== undefined && this.#stepCount >= total) {
          reason = 'max-steps';
          break;
        }
        if (signal?.aborted) {
          reason = 'aborted';
          break;
        }
        if (config.maxTimeMs > 0 && metrics.sessionMs() >= config.maxTimeMs) {
          reason = 'max-time';
          break;
        }
        const started = metrics.now();
        const outcome = await this.#step.run(this.#stepCount, this.#schedule());
        this.#tokensSeen += outcome.tokens;
        if (!outcome.skipped) this.#stepCount += 1;
        const stepMs = Math.max(metrics.now() - started, 1e-3);
        if (outcome.skipped) {
          consecutive += 1;
          this.#emit({
            type: 'skip',
            step: this.#stepCount + 1,
            loss: outcome.loss,
            gradNorm: outcome.gradNorm,
            consecutive,
          });
          if (consecutive >= config.maxNonFiniteSteps) {
            this.#emit({
              type: 'stop',
              step: this.#stepCount,
              reason: 'non-finite',
              elapsedMs: metrics.elapsedMs(),
              bestValLoss: this.bestValLoss,
            });
            throw new NonFiniteError({
              step: this.#stepCount,
              consecutive,
              loss: outcome.loss,
              gradNorm: outcome.gradNorm,
            });
          }
          continue;
        }
        consecutive = 0;
        losses.push(outcome.loss);
        const plan = planner?.afterStep(
          this.#stepCount,
          metrics.elapsedMs(),
          stepMs,
          outcome.tokens,
        );
        if (plan) {
          total = this.#totalSteps();
          const replan = plan.replans?.at(-1);
          this.#emit(
            replan?.plannedAtStep === this.#stepCount
              ? { type: 'replan', step: this.#stepCount, replan, plan }
              : { type: 'plan', step: this.#stepCount, plan },
          );
        }
        const awaitingPlan = this.#awaitingPlan();
        this.#emit(
          metrics.stepEvent({
            step: this.#stepCount,
            firstStep,
            // Before a time budget's plan, the step count is not known yet.
            totalSteps: awaitingPlan ? undefined : total,
            stepsPerEpoch: perEpoch,
            maxTimeMs: config.maxTimeMs,
            timeBudgetMs: awaitingPlan ? planner?.budget.ms : undefined,
            outcome,
            stepMs,
          }),
        );
        if (
          this.#options.val &&
          config.evalInterval > 0 &&
          this.#stepCount % config.evalInterval === 0
        ) {
          await this.#evaluateAndKeepBest();
        }
        if (
          this.#checkpointer &&
          config.checkpointInterval > 0 &&
          this.#stepCount % config.checkpointInterval === 0
        ) {
          await this.save(stepCheckpointName(this.#stepCount), 'interval');
        }
      }
      if (this.#options.val && this.#validation.last?.step !== this.#stepCount) {
        await this.#evaluateAndKeepBest();
      }
      let checkpoint: string | undefined;
      if (this.#checkpointer) {
        checkpoint = stepCheckpointName(this.#stepCount);
        if (this.#lastSavedStep !== this.#stepCount) await this.save(checkpoint, 'stop');
      }
      this.#emit({
        type: 'stop',
        step: this.#stepCount,
        reason,
        elapsedMs: metrics.elapsedMs(),
        bestValLoss: this.bestValLoss,
      });
      return {
        step: this.#stepCount,
        reason,
        valLoss: this.#validation.last?.loss,
        bestValLoss: this.bestValLoss,
        losses,
        checkpoint,
      };
    } finally {
      metrics.endSession();
    }
  }

  /** Free the optimizer's moments. The model is the caller's. */
  dispose(): void {
    this.#optimizer.dispose();
  }
}

/** Create a {@link Trainer}. Call `resume()` on it to continue from its store's latest checkpoint. */
export function createTrainer(options: TrainerOptions): Trainer {
  return new Trainer(options);
}
