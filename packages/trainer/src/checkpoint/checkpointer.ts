/**
 * Checkpointing: what a checkpoint holds (the trainer state, the weights, the
 * optimizer moments), writing one, and restoring a run from one so that it
 * continues exactly (weights, moments, schedule position, sampler and RNG
 * states). The run's counters travel as {@link TrainingProgress}; naming and
 * pruning rules are in `naming.ts`.
 */
import { configToHF } from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import type { StatefulGenerator, TrainingBatchSource } from '../batch-source.js';
import type { TrainingConfig } from '../config.js';
import { CheckpointMismatchError } from '../errors/checkpoint-mismatch-error.js';
import { InvalidCheckpointError } from '../errors/invalid-checkpoint-error.js';
import { GPT2_WEIGHTS_CODEC } from '../gpt2-weights.js';
import type { AdamW } from '../optimizer/adamw.js';
import type { TrainableModel, WeightsCodec } from '../trainable-model.js';
import type { ValidationPoint } from '../validation.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointContents,
  decodeCheckpoint,
  encodeCheckpoint,
  type MomentTensor,
  type TrainerState,
} from './checkpoint-format.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { checkpointsToPrune, latestCheckpoint } from './naming.js';

/** Key of the model's own random state in `trainer_state.json`'s `rng`. */
const MODEL_RNG_KEY = 'model';

/** The run's counters that a checkpoint saves and restores. */
export interface TrainingProgress {
  /** Optimizer steps done. */
  step: number;
  /** Training tokens consumed, skipped steps included. */
  tokensSeen: number;
  /** Training wall time in ms over all sessions. */
  elapsedMs: number;
  /** Best validation loss so far, if any evaluation ran. */
  best: ValidationPoint | undefined;
}

/** Options of {@link Checkpointer}. */
export interface CheckpointerOptions {
  store: CheckpointStore;
  model: TrainableModel;
  /** The optimized variables, by name, in the optimizer's order. */
  trainable: ReadonlyMap<string, tf.Variable>;
  optimizer: AdamW;
  codec: WeightsCodec;
  config: TrainingConfig;
  train: TrainingBatchSource;
  /** The validation source's state when the trainer was created (saved, never restored). */
  valState: unknown;
  /** Extra stateful generators, by name. */
  rngs: Record<string, StatefulGenerator>;
  /** Tokenizer recorded in checkpoints and checked on resume. */
  tokenizer: { toJSON(): unknown } | undefined;
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

async function decodeWeights(
  codec: WeightsCodec,
  model: TrainableModel,
  weights: Uint8Array,
  location: string,
): Promise<void> {
  try {
    await codec.decode(model, weights);
  } catch (cause) {
    throw new InvalidCheckpointError({
      checkpoint: location,
      reason: `its weights do not load: ${(cause as Error).message}`,
      cause,
    });
  }
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
  await decodeWeights(
    options.weightsCodec ?? GPT2_WEIGHTS_CODEC,
    options.model,
    contents.weights,
    location,
  );
  return contents.state;
}

/** Writes a trainer's checkpoints and restores the trainer from them. */
export class Checkpointer {
  readonly #options: CheckpointerOptions;

  constructor(options: CheckpointerOptions) {
    this.#options = options;
  }

  /** The store checkpoints go to. */
  get store(): CheckpointStore {
    return this.#options.store;
  }

  /**
   * Write a checkpoint of the current weights, moments and states.
   * @param progress - read once the optimizer moments are copied out, so the
   *   elapsed time includes that copy.
   * @throws CheckpointWriteError (earlier checkpoints stay intact)
   */
  async write(name: string, progress: () => TrainingProgress): Promise<void> {
    const { model, codec, store } = this.#options;
    const { state, moments } = await this.#buildState(progress);
    const files = encodeCheckpoint({
      state,
      weights: await codec.encode(model),
      moments,
      hfConfig: model.config ? configToHF(model.config) : undefined,
    });
    await store.write(name, files);
  }

  /** Delete the `step-N` checkpoints beyond the newest `keepLast`. */
  async prune(): Promise<void> {
    const { store, config } = this.#options;
    for (const name of checkpointsToPrune(await store.list(), config.keepLast)) {
      await store.remove(name);
    }
  }

  /**
   * Restore weights, optimizer moments and step, the train sampler's and the
   * RNGs' states from checkpoint `name`.
   * @returns the checkpoint's counters, for the trainer to continue from.
   * @throws InvalidCheckpointError for a corrupt or foreign checkpoint;
   *   CheckpointMismatchError when the model, tokenizer or frozen set differ.
   */
  async restore(name: string): Promise<TrainingProgress> {
    const { store, model, trainable, optimizer, codec, train, rngs, tokenizer } = this.#options;
    const location = store.locate(name);
    const { state, weights, moments } = await readCheckpoint(store, name);
    checkModelConfig(location, state.model, model);
    checkTokenizer(location, state.tokenizer, tokenizer?.toJSON());
    const names = [...trainable.keys()];
    if (JSON.stringify(state.optimizer.parameters) !== JSON.stringify(names)) {
      throw new CheckpointMismatchError({
        checkpoint: location,
        field: 'training.freeze (optimized parameters)',
        expected: state.optimizer.parameters,
        actual: names,
      });
    }
    await decodeWeights(codec, model, weights, location);
    const tensors = new Map<string, tf.Tensor>();
    try {
      for (const [key, entry] of moments)
        tensors.set(key, tf.tensor(entry.data, entry.shape, 'float32'));
      optimizer.setState({ step: state.optimizer.step, tensors });
    } catch (cause) {
      throw new InvalidCheckpointError({
        checkpoint: location,
        reason: `optimizer state: ${(cause as Error).message}`,
        cause,
      });
    } finally {
      tf.dispose([...tensors.values()]);
    }
    if (state.sampler.train) train.setState(state.sampler.train as { [key: string]: unknown });
    for (const [key, generator] of Object.entries(rngs)) {
      if (state.rng[key] !== undefined) generator.setState(state.rng[key] as never);
    }
    if (model.setRandomState && state.rng[MODEL_RNG_KEY] !== undefined) {
      model.setRandomState(state.rng[MODEL_RNG_KEY]);
    }
    return {
      step: state.step,
      tokensSeen: state.tokensSeen,
      elapsedMs: state.elapsedMs,
      best:
        state.bestValLoss === null
          ? undefined
          : { loss: state.bestValLoss, step: state.bestValStep ?? state.step },
    };
  }

  async #buildState(
    readProgress: () => TrainingProgress,
  ): Promise<{ state: TrainerState; moments: Map<string, MomentTensor> }> {
    const { model, optimizer, trainable, config, train, valState, rngs, tokenizer } = this.#options;
    const optimizerState = optimizer.getState();
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
    for (const [name, generator] of Object.entries(rngs)) rng[name] = generator.getState();
    if (model.getRandomState) rng[MODEL_RNG_KEY] = model.getRandomState();
    const progress = readProgress();
    const state: TrainerState = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step: progress.step,
      tokensSeen: progress.tokensSeen,
      elapsedMs: progress.elapsedMs,
      bestValLoss: progress.best?.loss ?? null,
      bestValStep: progress.best?.step ?? null,
      schedule: { config: config.schedule, step: progress.step },
      optimizer: {
        step: optimizerState.step,
        hyperparameters: { ...optimizer.hyperparameters },
        parameters: [...trainable.keys()],
      },
      sampler: { train: train.getState(), val: valState ?? null },
      rng,
      model: model.config ?? null,
      tokenizer: tokenizer?.toJSON() ?? null,
      training: config,
      savedAt: new Date().toISOString(),
    };
    return { state, moments };
  }
}
