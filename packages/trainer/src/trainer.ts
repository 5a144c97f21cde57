import { configToHF } from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import type { StatefulGenerator, TrainingBatch, TrainingBatchSource } from './batch-source.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointContents,
  decodeCheckpoint,
  encodeCheckpoint,
  type MomentTensor,
  type TrainerState,
} from './checkpoint/checkpoint-format.js';
import type { CheckpointStore } from './checkpoint/checkpoint-store.js';
import {
  resolveTrainingConfig,
  type TrainingConfig,
  type TrainingConfigInput,
  trainableParameters,
} from './config.js';
import { CheckpointMismatchError } from './errors/checkpoint-mismatch-error.js';
import { InvalidCheckpointError } from './errors/invalid-checkpoint-error.js';
import { NonFiniteError } from './errors/non-finite-error.js';
import type { StopReason, TrainerEvent } from './events.js';
import { modelFlopsPerToken } from './flops.js';
import { GPT2_WEIGHTS_CODEC } from './gpt2-weights.js';
import { AdamW } from './optimizer/adamw.js';
import { clipCoefficient, globalNorm } from './optimizer/clip.js';
import { learningRateAt } from './schedule/learning-rate.js';
import type { TrainableModel, WeightsCodec } from './trainable-model.js';

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
  /** Receives step, skip, eval, checkpoint and stop events. Default: none. */
  onEvent?: (event: TrainerEvent) => void;
  /** Stops the run (with a checkpoint) at the next step boundary. Default: none. */
  signal?: AbortSignal;
  /** Peak FLOP/s of the device, for model FLOP utilisation. Default: none (mfu undefined). */
  peakFlops?: number;
  /** Tokenizer to record in checkpoints (its `toJSON()` is stored and checked on resume). Default: none. */
  tokenizer?: { toJSON(): unknown };
  /** Weights (de)serializer. Default: @gpt2/model's safetensors functions ({@link GPT2_WEIGHTS_CODEC}). */
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

const STEP_NAME = /^step-(\d+)$/;
/** Key of the model's own random state in `trainer_state.json`'s `rng`. */
const MODEL_RNG_KEY = 'model';

/** Name of the periodic checkpoint at `step`: `step-00000100`. */
export function stepCheckpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** The latest `step-N` checkpoint in a store, or undefined when there is none. */
export async function latestCheckpoint(store: CheckpointStore): Promise<string | undefined> {
  let best: { name: string; step: number } | undefined;
  for (const name of await store.list()) {
    const match = STEP_NAME.exec(name);
    if (match && (!best || Number(match[1]) > best.step)) best = { name, step: Number(match[1]) };
  }
  return best?.name;
}

function checkModelConfig(
  checkpoint: string,
  saved: TrainerState['model'],
  model: TrainableModel,
): void {
  if (!saved || !model.config) return;
  const actual = model.config as unknown as Record<string, unknown>;
  for (const [key, expected] of Object.entries(saved)) {
    if (actual[key] !== expected) {
      throw new CheckpointMismatchError({
        checkpoint,
        field: `model.${key}`,
        expected,
        actual: actual[key],
      });
    }
  }
}

function checkTokenizer(checkpoint: string, saved: unknown, current: unknown): void {
  if (saved === null || saved === undefined || current === undefined) return;
  if (JSON.stringify(saved) !== JSON.stringify(current)) {
    throw new CheckpointMismatchError({
      checkpoint,
      field: 'tokenizer',
      expected: saved,
      actual: current,
    });
  }
}

async function readCheckpoint(store: CheckpointStore, name: string): Promise<CheckpointContents> {
  return decodeCheckpoint(store.locate(name), await store.read(name));
}

/** Options for {@link loadCheckpointWeights}. */
export interface LoadCheckpointWeightsOptions {
  /** The model to load into; its config must match the checkpoint's. */
  model: TrainableModel;
  store: CheckpointStore;
  /** Checkpoint name. Default: the latest `step-N`. */
  name?: string;
  /** Default: {@link GPT2_WEIGHTS_CODEC}. */
  weightsCodec?: WeightsCodec;
}

/**
 * Load only the weights of a checkpoint (for fine-tuning with a fresh optimizer).
 * @returns the checkpoint's trainer state, for reference.
 * @throws InvalidCheckpointError, CheckpointMismatchError
 */
export async function loadCheckpointWeights(
  options: LoadCheckpointWeightsOptions,
): Promise<TrainerState> {
  const name = options.name ?? (await latestCheckpoint(options.store));
  if (!name) {
    throw new InvalidCheckpointError({
      checkpoint: options.store.locate('*'),
      reason: 'the store holds no checkpoint.',
    });
  }
  const contents = await readCheckpoint(options.store, name);
  const location = options.store.locate(name);
  checkModelConfig(location, contents.state.model, options.model);
  try {
    await (options.weightsCodec ?? GPT2_WEIGHTS_CODEC).decode(options.model, contents.weights);
  } catch (cause) {
    throw new InvalidCheckpointError({
      checkpoint: location,
      reason: `its weights do not load: ${(cause as Error).message}`,
      cause,
    });
  }
  return contents.state;
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
  private readonly options: TrainerOptions;
  private readonly model: TrainableModel;
  private readonly trainable: Map<string, tf.Variable>;
  private readonly optimizer: AdamW;
  private readonly codec: WeightsCodec;
  private readonly clock: () => number;
  private readonly initialValState: unknown;
  private stepCount = 0;
  private tokensSeen = 0;
  private elapsedBeforeMs = 0;
  private sessionStart: number | undefined;
  private bestVal: { loss: number; step: number } | undefined;
  private lastVal: { loss: number; step: number } | undefined;
  private lastSavedStep = -1;

  constructor(options: TrainerOptions) {
    this.options = options;
    this.config = resolveTrainingConfig(options.config);
    this.model = options.model;
    this.codec = options.weightsCodec ?? GPT2_WEIGHTS_CODEC;
    this.clock = options.clock ?? (() => performance.now());
    this.trainable = trainableParameters(options.model.parameters(), this.config.freeze);
    this.optimizer = new AdamW(this.trainable, this.config.optimizer);
    // Every evaluation replays the same validation batches, so losses are comparable.
    this.initialValState = options.val?.getState();
    if (options.peakFlops !== undefined && !(options.peakFlops > 0)) {
      throw new RangeError(`createTrainer: peakFlops must be > 0, got ${options.peakFlops}.`);
    }
  }

  /** Optimizer steps done so far (across resumes). */
  get step(): number {
    return this.stepCount;
  }

  /** Best validation loss so far, if any evaluation ran. */
  get bestValLoss(): number | undefined {
    return this.bestVal?.loss;
  }

  /** Names of the parameters being optimized (all but the frozen ones). */
  get trainableParameterNames(): string[] {
    return [...this.trainable.keys()];
  }

  private emit(event: TrainerEvent): void {
    this.options.onEvent?.(event);
  }

  private elapsedMs(): number {
    return (
      this.elapsedBeforeMs +
      (this.sessionStart === undefined ? 0 : this.clock() - this.sessionStart)
    );
  }

  private stepsPerEpoch(): number | undefined {
    if (this.config.epochs === 0 && this.config.stepsPerEpoch === 0) return undefined;
    if (this.config.stepsPerEpoch > 0) return this.config.stepsPerEpoch;
    const train = this.options.train;
    const batchSize = train.getState().batchSize;
    const batches =
      train.batchesPerEpoch ??
      (train.windowsPerEpoch !== undefined && typeof batchSize === 'number'
        ? Math.floor(train.windowsPerEpoch / batchSize)
        : undefined);
    if (batches === undefined) {
      throw new RangeError(
        'Training config: epochs needs stepsPerEpoch, or a batch source that reports batchesPerEpoch or windowsPerEpoch.',
      );
    }
    return Math.max(1, Math.floor(batches / this.config.gradientAccumulationSteps));
  }

  private totalSteps(): number | undefined {
    const perEpoch = this.stepsPerEpoch();
    if (this.config.epochs > 0 && perEpoch !== undefined) return this.config.epochs * perEpoch;
    return this.config.maxSteps > 0 ? this.config.maxSteps : undefined;
  }

  private toTensors(batch: TrainingBatch): [tf.Tensor2D, tf.Tensor2D] {
    const shape: [number, number] = [batch.batchSize, batch.blockSize];
    return [tf.tensor2d(batch.inputs, shape, 'int32'), tf.tensor2d(batch.targets, shape, 'int32')];
  }

  /** Forward and backward over the step's micro-batches; grads summed, loss averaged. */
  private async accumulate(): Promise<{ grads: tf.Tensor[]; loss: tf.Scalar; tokens: number }> {
    const steps = this.config.gradientAccumulationSteps;
    const variables = [...this.trainable.values()];
    let grads: tf.Tensor[] | undefined;
    let loss: tf.Scalar | undefined;
    let tokens = 0;
    for (let micro = 0; micro < steps; micro++) {
      const batch = await this.options.train.next();
      tokens += batch.batchSize * batch.blockSize;
      const result = tf.tidy(() => {
        const [ids, targets] = this.toTensors(batch);
        return tf.variableGrads(() => {
          const value = this.model.loss(ids, targets, {
            training: true,
            labelSmoothing: this.config.labelSmoothing,
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

  /** One optimizer step (or a skipped one). Returns what the step event needs. */
  private async trainStep(): Promise<{
    loss: number;
    gradNorm: number;
    lr: number;
    tokens: number;
    skipped: boolean;
  }> {
    const { grads, loss, tokens } = await this.accumulate();
    const norm = globalNorm(grads);
    const [lossData, normData] = await Promise.all([loss.data(), norm.data()]);
    const lossValue = lossData[0]!;
    const gradNorm = normData[0]!;
    const lr = learningRateAt(this.config.schedule, this.stepCount);
    this.tokensSeen += tokens;
    const skipped = !Number.isFinite(lossValue) || !Number.isFinite(gradNorm);
    if (!skipped) {
      const names = [...this.trainable.keys()];
      this.optimizer.apply(
        new Map(names.map((name, i) => [name, grads[i]!])),
        lr,
        clipCoefficient(gradNorm, this.config.gradClip),
      );
      this.stepCount += 1;
    }
    tf.dispose([...grads, loss, norm]);
    return { loss: lossValue, gradNorm, lr, tokens, skipped };
  }

  /**
   * Mean validation loss over `evalBatches` batches (dropout off). The
   * validation source is rewound first, so every evaluation sees the same batches.
   * @throws RangeError when the trainer has no validation source.
   */
  async evaluate(): Promise<number> {
    const val = this.options.val;
    if (!val) throw new RangeError('evaluate: the trainer has no validation source (options.val).');
    val.setState(this.initialValState as { [key: string]: unknown });
    let total = 0;
    for (let i = 0; i < this.config.evalBatches; i++) {
      const batch = await val.next();
      const loss = tf.tidy(() => {
        const [ids, targets] = this.toTensors(batch);
        return this.model.loss(ids, targets, { training: false });
      });
      total += (await loss.data())[0]!;
      loss.dispose();
    }
    return total / this.config.evalBatches;
  }

  private async evaluateAndTrackBest(): Promise<void> {
    const valLoss = await this.evaluate();
    const best = Number.isFinite(valLoss) && (!this.bestVal || valLoss < this.bestVal.loss);
    this.lastVal = { loss: valLoss, step: this.stepCount };
    if (best) this.bestVal = { loss: valLoss, step: this.stepCount };
    this.emit({
      type: 'eval',
      step: this.stepCount,
      valLoss,
      batches: this.config.evalBatches,
      best,
    });
    if (best && this.config.keepBest && this.options.store) await this.save('best', 'best');
  }

  private async buildState(): Promise<{ state: TrainerState; moments: Map<string, MomentTensor> }> {
    const optimizerState = this.optimizer.getState();
    const moments = new Map<string, MomentTensor>();
    try {
      for (const [name, tensor] of optimizerState.tensors) {
        moments.set(name, {
          shape: [...tensor.shape],
          data: (await tensor.data()) as Float32Array,
        });
      }
    } finally {
      tf.dispose([...optimizerState.tensors.values()]);
    }
    const rng: Record<string, unknown> = {};
    for (const [name, generator] of Object.entries(this.options.rngs ?? {}))
      rng[name] = generator.getState();
    if (this.model.getRandomState) rng[MODEL_RNG_KEY] = this.model.getRandomState();
    const state: TrainerState = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step: this.stepCount,
      tokensSeen: this.tokensSeen,
      elapsedMs: this.elapsedMs(),
      bestValLoss: this.bestVal?.loss ?? null,
      bestValStep: this.bestVal?.step ?? null,
      schedule: { config: this.config.schedule, step: this.stepCount },
      optimizer: {
        step: optimizerState.step,
        hyperparameters: { ...this.optimizer.hyperparameters },
        parameters: [...this.trainable.keys()],
      },
      sampler: { train: this.options.train.getState(), val: this.initialValState ?? null },
      rng,
      model: this.model.config ?? null,
      tokenizer: this.options.tokenizer?.toJSON() ?? null,
      training: this.config,
      savedAt: new Date().toISOString(),
    };
    return { state, moments };
  }

  /**
   * Write a checkpoint now. Default name: `step-N`.
   * @returns the checkpoint's name.
   * @throws CheckpointWriteError (earlier checkpoints stay intact); RangeError without a store.
   */
  async save(
    name = stepCheckpointName(this.stepCount),
    reason: 'interval' | 'best' | 'stop' | 'manual' = 'manual',
  ): Promise<string> {
    const store = this.options.store;
    if (!store) throw new RangeError('save: the trainer has no checkpoint store (options.store).');
    const { state, moments } = await this.buildState();
    const files = encodeCheckpoint({
      state,
      weights: await this.codec.encode(this.model),
      moments,
      hfConfig: this.model.config ? configToHF(this.model.config) : undefined,
    });
    await store.write(name, files);
    if (STEP_NAME.test(name)) {
      this.lastSavedStep = this.stepCount;
      await this.pruneOldCheckpoints(store);
    }
    this.emit({
      type: 'checkpoint',
      step: this.stepCount,
      name,
      location: store.locate(name),
      reason,
    });
    return name;
  }

  private async pruneOldCheckpoints(store: CheckpointStore): Promise<void> {
    const steps = (await store.list())
      .map((name) => ({ name, match: STEP_NAME.exec(name) }))
      .filter((x) => x.match)
      .sort((a, b) => Number(b.match![1]) - Number(a.match![1]));
    for (const { name } of steps.slice(Math.max(1, this.config.keepLast))) await store.remove(name);
  }

  /**
   * Restore weights, optimizer moments and step, schedule position, sampler
   * and RNG states from a checkpoint, so training continues exactly.
   * @returns the checkpoint's name, or undefined when the store holds none and no name was given.
   * @throws InvalidCheckpointError for a corrupt or foreign checkpoint;
   *   CheckpointMismatchError when the model, tokenizer or frozen set differ.
   */
  async resume(options: ResumeOptions = {}): Promise<string | undefined> {
    const store = this.options.store;
    if (!store)
      throw new RangeError('resume: the trainer has no checkpoint store (options.store).');
    const name = options.name ?? (await latestCheckpoint(store));
    if (name === undefined) return undefined;
    const location = store.locate(name);
    const { state, weights, moments } = await readCheckpoint(store, name);
    checkModelConfig(location, state.model, this.model);
    checkTokenizer(location, state.tokenizer, this.options.tokenizer?.toJSON());
    const names = [...this.trainable.keys()];
    if (JSON.stringify(state.optimizer.parameters) !== JSON.stringify(names)) {
      throw new CheckpointMismatchError({
        checkpoint: location,
        field: 'training.freeze (optimized parameters)',
        expected: state.optimizer.parameters,
        actual: names,
      });
    }
    try {
      await this.codec.decode(this.model, weights);
    } catch (cause) {
      throw new InvalidCheckpointError({
        checkpoint: location,
        reason: `its weights do not load: ${(cause as Error).message}`,
        cause,
      });
    }
    const tensors = new Map<string, tf.Tensor>();
    try {
      for (const [key, entry] of moments)
        tensors.set(key, tf.tensor(entry.data, entry.shape, 'float32'));
      this.optimizer.setState({ step: state.optimizer.step, tensors });
    } catch (cause) {
      throw new InvalidCheckpointError({
        checkpoint: location,
        reason: `optimizer state: ${(cause as Error).message}`,
        cause,
      });
    } finally {
      tf.dispose([...tensors.values()]);
    }
    if (state.sampler.train)
      this.options.train.setState(state.sampler.train as { [key: string]: unknown });
    for (const [key, generator] of Object.entries(this.options.rngs ?? {})) {
      if (state.rng[key] !== undefined) generator.setState(state.rng[key] as never);
    }
    if (this.model.setRandomState && state.rng[MODEL_RNG_KEY] !== undefined) {
      this.model.setRandomState(state.rng[MODEL_RNG_KEY]);
    }
    this.stepCount = state.step;
    this.tokensSeen = state.tokensSeen;
    this.elapsedBeforeMs = state.elapsedMs;
    this.bestVal =
      state.bestValLoss === null
        ? undefined
        : { loss: state.bestValLoss, step: state.bestValStep ?? state.step };
    this.lastSavedStep = state.step;
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
    const total = this.totalSteps();
    const signal = this.options.signal;
    if (total === undefined && this.config.maxTimeMs === 0 && !signal) {
      throw new RangeError(
        'run: set maxSteps, epochs or maxTimeMs, or pass a signal; otherwise it never stops.',
      );
    }
    const perEpoch = this.stepsPerEpoch();
    const flopsPerToken = modelFlopsPerToken(this.model);
    const sessionStart = this.clock();
    this.sessionStart = sessionStart;
    const losses: number[] = [];
    const firstStep = this.stepCount;
    let consecutive = 0;
    let reason: TrainResult['reason'];
    try {
      if (this.options.val && this.config.evalAtStart && this.stepCount === 0 && !this.lastVal) {
        await this.evaluateAndTrackBest();
      }
      for (;;) {
        if (total !== undefined && this.stepCount >= total) {
          reason = 'max-steps';
          break;
        }
        if (signal?.aborted) {
          reason = 'aborted';
          break;
        }
        if (this.config.maxTimeMs > 0 && this.clock() - sessionStart >= this.config.maxTimeMs) {
          reason = 'max-time';
          break;
        }
        const started = this.clock();
        const outcome = await this.trainStep();
        const stepMs = Math.max(this.clock() - started, 1e-3);
        if (outcome.skipped) {
          consecutive += 1;
          this.emit({
            type: 'skip',
            step: this.stepCount + 1,
            loss: outcome.loss,
            gradNorm: outcome.gradNorm,
            consecutive,
          });
          if (consecutive >= this.config.maxNonFiniteSteps) {
            this.emit({
              type: 'stop',
              step: this.stepCount,
              reason: 'non-finite',
              elapsedMs: this.elapsedMs(),
              bestValLoss: this.bestVal?.loss,
            });
            throw new NonFiniteError({
              step: this.stepCount,
              consecutive,
              loss: outcome.loss,
              gradNorm: outcome.gradNorm,
            });
          }
          continue;
        }
        consecutive = 0;
        losses.push(outcome.loss);
        const tokensPerSecond = (outcome.tokens * 1000) / stepMs;
        const sessionMs = this.clock() - sessionStart;
        const msPerStep = sessionMs / (this.stepCount - firstStep);
        const etaCandidates: number[] = [];
        if (total !== undefined) etaCandidates.push((total - this.stepCount) * msPerStep);
        if (this.config.maxTimeMs > 0)
          etaCandidates.push(Math.max(0, this.config.maxTimeMs - sessionMs));
        this.emit({
          type: 'step',
          step: this.stepCount,
          totalSteps: total,
          epoch: perEpoch === undefined ? undefined : Math.floor((this.stepCount - 1) / perEpoch),
          loss: outcome.loss,
          lr: outcome.lr,
          gradNorm: outcome.gradNorm,
          tokens: outcome.tokens,
          tokensPerSecond,
          mfu:
            this.options.peakFlops !== undefined && flopsPerToken !== undefined
              ? (flopsPerToken * tokensPerSecond) / this.options.peakFlops
              : undefined,
          elapsedMs: this.elapsedMs(),
          etaMs: etaCandidates.length > 0 ? Math.min(...etaCandidates) : undefined,
        });
        if (
          this.options.val &&
          this.config.evalInterval > 0 &&
          this.stepCount % this.config.evalInterval === 0
        ) {
          await this.evaluateAndTrackBest();
        }
        if (
          this.options.store &&
          this.config.checkpointInterval > 0 &&
          this.stepCount % this.config.checkpointInterval === 0
        ) {
          await this.save(stepCheckpointName(this.stepCount), 'interval');
        }
      }
      if (this.options.val && this.lastVal?.step !== this.stepCount)
        await this.evaluateAndTrackBest();
      let checkpoint: string | undefined;
      if (this.options.store) {
        checkpoint = stepCheckpointName(this.stepCount);
        if (this.lastSavedStep !== this.stepCount) await this.save(checkpoint, 'stop');
      }
      this.emit({
        type: 'stop',
        step: this.stepCount,
        reason,
        elapsedMs: this.elapsedMs(),
        bestValLoss: this.bestVal?.loss,
      });
      return {
        step: this.stepCount,
        reason,
        valLoss: this.lastVal?.loss,
        bestValLoss: this.bestVal?.loss,
        losses,
        checkpoint,
      };
    } finally {
      this.elapsedBeforeMs = this.elapsedMs();
      this.sessionStart = undefined;
    }
  }

  /** Free the optimizer's moments. The model is the caller's. */
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Create a {@link Trainer}. Call `resume()` on it to continue from its store's latest checkpoint. */
export function createTrainer(options: TrainerOptions): Trainer {
  return new Trainer(options);
}
