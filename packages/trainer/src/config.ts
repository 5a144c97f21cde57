import type { AdamWHyperparameters } from './optimizer/adamw.js';
import { DEFAULT_ADAMW } from './optimizer/adamw.js';
import { type LearningRateSchedule, validateSchedule } from './schedule/learning-rate.js';
import { resolveTimeBudget, type TimeBudgetConfig } from './schedule/time-budget.js';

/** Which parameters stay fixed during fine-tuning. */
export interface FreezeConfig {
  /** Freeze the token and position embeddings (and so the tied output head). Default: false. */
  embeddings?: boolean;
  /** Freeze transformer blocks `h.0` … `h.{layers-1}`. Default: 0. */
  layers?: number;
}

/**
 * Training settings. Plain JSON: a checkpoint stores them. Every field is
 * optional in {@link TrainingConfigInput}; defaults are in {@link DEFAULT_TRAINING_CONFIG}.
 */
export interface TrainingConfig {
  /** Stop after this many optimizer steps (counted from step 0, across resumes). 0: no step limit. */
  maxSteps: number;
  /** Train for this many epochs instead of `maxSteps` (needs `stepsPerEpoch`, or a source that reports `batchesPerEpoch`). 0: off. */
  epochs: number;
  /** Optimizer steps in one epoch. 0: ask the batch source. */
  stepsPerEpoch: number;
  /** Stop after this much wall time in this session, in ms, wherever the schedule is. 0: no limit. */
  maxTimeMs: number;
  /**
   * Fit the schedule to a wall-time budget instead of a step count: the trainer
   * times the first steps, then plans how many fit and where the decay goes
   * (see {@link TimeBudgetConfig}). Replaces `schedule`; `maxSteps` caps the plan. null: off.
   */
  timeBudget: TimeBudgetConfig | null;
  /** Micro-batches whose gradients are summed into one optimizer step. */
  gradientAccumulationSteps: number;
  /** The learning-rate schedule. */
  schedule: LearningRateSchedule;
  /** AdamW hyperparameters (decay applies to parameters of rank ≥ 2 only). */
  optimizer: AdamWHyperparameters;
  /** Clip the global gradient norm to this; 0 turns clipping off. */
  gradClip: number;
  /** Label smoothing ε for the training loss; 0 is off. */
  labelSmoothing: number;
  /**
   * Recompute each block's activations in the backward pass instead of
   * keeping them: a step holds one block's activations, not all of them, for
   * about one more forward pass of compute. The same loss and gradients.
   */
  recompute: boolean;
  /** Evaluate every this many steps; 0: only at the start and the end. */
  evalInterval: number;
  /** Validation batches per evaluation (mean loss over them). */
  evalBatches: number;
  /** Evaluate before the first step (the step-0 baseline). */
  evalAtStart: boolean;
  /** Save a `step-N` checkpoint every this many steps; 0: only when the run stops. */
  checkpointInterval: number;
  /** Keep this many `step-N` checkpoints; older ones are deleted. */
  keepLast: number;
  /** Save a `best` checkpoint whenever the validation loss improves. */
  keepBest: boolean;
  /** Stop with NonFiniteError after this many non-finite steps in a row. */
  maxNonFiniteSteps: number;
  /** Parameters to freeze (fine-tuning). */
  freeze: FreezeConfig;
}

/** {@link TrainingConfig} with every field optional and `optimizer` partial. */
export type TrainingConfigInput = Partial<Omit<TrainingConfig, 'optimizer'>> & {
  optimizer?: Partial<AdamWHyperparameters>;
};

/** Default training settings (nanoGPT-like; a constant 6e-4 learning rate unless a schedule is given). */
export const DEFAULT_TRAINING_CONFIG: TrainingConfig = {
  maxSteps: 0,
  epochs: 0,
  stepsPerEpoch: 0,
  maxTimeMs: 0,
  timeBudget: null,
  gradientAccumulationSteps: 1,
  schedule: { type: 'constant', lr: 6e-4 },
  optimizer: { ...DEFAULT_ADAMW },
  gradClip: 1.0,
  labelSmoothing: 0,
  recompute: false,
  evalInterval: 0,
  evalBatches: 20,
  evalAtStart: true,
  checkpointInterval: 0,
  keepLast: 3,
  keepBest: true,
  maxNonFiniteSteps: 5,
  freeze: { embeddings: false, layers: 0 },
};

function nonNegativeInteger(config: TrainingConfig, key: keyof TrainingConfig): void {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`Training config: ${key} must be an integer ≥ 0, got ${String(value)}.`);
  }
}

function rejectUnknownKeys(input: object | undefined, known: object, prefix: string): void {
  for (const key of Object.keys(input ?? {})) {
    if (!Object.hasOwn(known, key)) {
      throw new RangeError(
        `Training config: unknown key '${prefix}${key}'. Valid keys: ${Object.keys(known)
          .map((k) => prefix + k)
          .join(', ')}.`,
      );
    }
  }
}

/**
 * Fill defaults and validate.
 * @throws RangeError naming the bad field.
 */
export function resolveTrainingConfig(input: TrainingConfigInput = {}): TrainingConfig {
  // A misspelt key would otherwise silently train with the default.
  rejectUnknownKeys(input, DEFAULT_TRAINING_CONFIG, '');
  rejectUnknownKeys(input.optimizer, DEFAULT_TRAINING_CONFIG.optimizer, 'optimizer.');
  rejectUnknownKeys(input.freeze, DEFAULT_TRAINING_CONFIG.freeze, 'freeze.');
  const config: TrainingConfig = {
    ...DEFAULT_TRAINING_CONFIG,
    ...input,
    optimizer: { ...DEFAULT_TRAINING_CONFIG.optimizer, ...input.optimizer },
    freeze: { ...DEFAULT_TRAINING_CONFIG.freeze, ...input.freeze },
  };
  for (const key of [
    'maxSteps',
    'epochs',
    'stepsPerEpoch',
    'maxTimeMs',
    'evalInterval',
    'evalBatches',
    'checkpointInterval',
    'keepLast',
  ] as const) {
    nonNegativeInteger(config, key);
  }
  for (const key of ['gradientAccumulationSteps', 'maxNonFiniteSteps'] as const) {
    nonNegativeInteger(config, key);
    if (config[key] < 1)
      throw new RangeError(`Training config: ${key} must be ≥ 1, got ${config[key]}.`);
  }
  if (!(config.gradClip >= 0))
    throw new RangeError(`Training config: gradClip must be ≥ 0, got ${config.gradClip}.`);
  if (typeof config.recompute !== 'boolean') {
    throw new RangeError(
      `Training config: recompute must be true or false, got ${String(config.recompute)}.`,
    );
  }
  if (!(config.labelSmoothing >= 0 && config.labelSmoothing < 1)) {
    throw new RangeError(
      `Training config: labelSmoothing must be in [0, 1), got ${config.labelSmoothing}.`,
    );
  }
  const layers = config.freeze.layers ?? 0;
  if (!Number.isInteger(layers) || layers < 0) {
    throw new RangeError(`Training config: freeze.layers must be an integer ≥ 0, got ${layers}.`);
  }
  validateSchedule(config.schedule);
  if (config.timeBudget !== null) {
    if (input.schedule !== undefined) {
      throw new RangeError(
        'Training config: timeBudget plans the schedule; give its maxLr, minLr and warmupSteps in timeBudget instead of schedule.',
      );
    }
    if (config.epochs > 0) {
      throw new RangeError('Training config: timeBudget and epochs exclude each other.');
    }
    resolveTimeBudget(config.timeBudget);
  }
  return config;
}

/**
 * The parameters to optimize: all of `parameters` except the frozen ones.
 * Names follow @gpt2/model (`wte.weight`, `wpe.weight`, `h.{i}.…`).
 * @throws RangeError when a chosen variable is not trainable (`trainable =
 *   false`, as while a LoRA adapter is attached to the model): tfjs would give
 *   it no gradient, and the step would silently apply only weight decay.
 */
export function trainableParameters<V>(
  parameters: Map<string, V>,
  freeze: FreezeConfig,
): Map<string, V> {
  const layers = freeze.layers ?? 0;
  const result = new Map<string, V>();
  for (const [name, variable] of parameters) {
    if (freeze.embeddings && (name === 'wte.weight' || name === 'wpe.weight')) continue;
    const block = /^h\.(\d+)\./.exec(name);
    if (block && Number(block[1]) < layers) continue;
    result.set(name, variable);
  }
  if (result.size === 0)
    throw new RangeError('Training config: freeze leaves no parameter to train.');
  for (const [name, variable] of result) {
    if ((variable as { trainable?: unknown }).trainable === false) {
      throw new RangeError(
        `Parameter '${name}' is frozen (trainable = false), e.g. by a LoRA adapter attached to the model: train the LoraModel that addLora returned, or dispose it to train the whole model.`,
      );
    }
  }
  return result;
}
