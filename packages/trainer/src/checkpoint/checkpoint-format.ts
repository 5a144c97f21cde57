import { BUNDLE_FILES, type GPT2Config, readSafetensors, writeSafetensors } from '@gpt2/model';
import type { TrainingConfig } from '../config.js';
import { InvalidCheckpointError } from '../errors/invalid-checkpoint-error.js';
import type { AdamWHyperparameters } from '../optimizer/adamw.js';
import type { LearningRateSchedule } from '../schedule/learning-rate.js';
import type { TimeBudgetPlan } from '../schedule/time-budget.js';

/** Marks `trainer_state.json` as ours; anything else is a foreign folder. */
export const CHECKPOINT_FORMAT = 'gpt2-trainer-checkpoint';
/** Bumped when the layout changes incompatibly. */
export const CHECKPOINT_VERSION = 1;

/**
 * File names inside a checkpoint folder: @gpt2/model's bundle layout, so its
 * bundle reader finds the weights, config and tokenizer of a checkpoint.
 */
export const CHECKPOINT_FILES = {
  /** Model weights, Hugging Face GPT-2 safetensors layout. */
  weights: BUNDLE_FILES.weights,
  /** Model config in Hugging Face form (absent for models without a GPT2Config). */
  modelConfig: BUNDLE_FILES.config,
  /** AdamW moments `m.<name>`, `v.<name>` (float32). */
  optimizer: BUNDLE_FILES.optimizer,
  /** Everything else, as JSON: see {@link TrainerState}. */
  state: BUNDLE_FILES.trainerState,
} as const;

/** PEFT's adapter config, which marks a LoRA run's checkpoint (see `createLoraWeightsCodec`). */
const LORA_ADAPTER_CONFIG_FILE = 'adapter_config.json';

/** The JSON in `trainer_state.json`. */
export interface TrainerState {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  /** Optimizer steps done. */
  step: number;
  /** Training tokens consumed, skipped steps included. */
  tokensSeen: number;
  /** Training wall time in ms over all sessions. */
  elapsedMs: number;
  /** Best validation loss so far; null before any evaluation. */
  bestValLoss: number | null;
  /** Step of the best validation loss; null before any evaluation. */
  bestValStep: number | null;
  /** Schedule position: the schedule and the step it is at. */
  schedule: { config: LearningRateSchedule; step: number };
  /** The time-budget plan (`training.timeBudget`) with its re-plans, once made; null before it or without a budget. Absent in older checkpoints. */
  timeBudget?: TimeBudgetPlan | null;
  /** Optimizer bookkeeping; the moments are in `optimizer.safetensors`. */
  optimizer: { step: number; hyperparameters: AdamWHyperparameters; parameters: string[] };
  /** Batch-sampler states (JSON from `BatchSource.getState()`). */
  sampler: { train: unknown; val: unknown };
  /** States of the stateful RNGs the run was given, by name. */
  rng: Record<string, unknown>;
  /** The model config (camelCase), or null for models without one. */
  model: GPT2Config | null;
  /** The tokenizer reference (`tokenizer.toJSON()`), or null. */
  tokenizer: unknown;
  /** The training config of the run that wrote the checkpoint. */
  training: TrainingConfig;
  /** ISO time of writing. */
  savedAt: string;
}

/** One optimizer moment tensor. */
export interface MomentTensor {
  shape: number[];
  data: Float32Array;
}

/** A checkpoint's contents, decoded. */
export interface CheckpointContents {
  state: TrainerState;
  /** The weights file, for the model's codec. */
  weights: Uint8Array;
  /** The optimizer moments by `m.<name>` / `v.<name>`. */
  moments: Map<string, MomentTensor>;
}

/** Assemble a checkpoint's files. */
export function encodeCheckpoint(options: {
  state: TrainerState;
  weights: Uint8Array;
  /** The weights' file name. Default: {@link CHECKPOINT_FILES}.weights. */
  weightsFile?: string;
  /** More files from the weights codec (e.g. PEFT's adapter_config.json). Default: none. */
  sideFiles?: ReadonlyMap<string, Uint8Array>;
  moments: ReadonlyMap<string, MomentTensor>;
  /** Hugging Face config.json contents, when the model has a config. */
  hfConfig?: Record<string, unknown>;
}): Map<string, Uint8Array> {
  const encoder = new TextEncoder();
  const files = new Map<string, Uint8Array>();
  files.set(options.weightsFile ?? CHECKPOINT_FILES.weights, options.weights);
  for (const [name, bytes] of options.sideFiles ?? []) files.set(name, bytes);
  if (options.hfConfig) {
    files.set(
      CHECKPOINT_FILES.modelConfig,
      encoder.encode(`${JSON.stringify(options.hfConfig, null, 2)}\n`),
    );
  }
  files.set(
    CHECKPOINT_FILES.optimizer,
    writeSafetensors(options.moments, {
      metadata: { format: CHECKPOINT_FORMAT, step: String(options.state.optimizer.step) },
    }),
  );
  // Written last in iteration order; stores write atomically, so order is only cosmetic.
  files.set(CHECKPOINT_FILES.state, encoder.encode(`${JSON.stringify(options.state, null, 2)}\n`));
  return files;
}

function fail(checkpoint: string, reason: string, cause?: unknown): never {
  throw new InvalidCheckpointError({ checkpoint, reason, cause });
}

/**
 * Parse and check a checkpoint's files. `weightsFile` is where the weights
 * are: `model.safetensors` for a whole model, `adapter_model.safetensors` for
 * a LoRA run's adapters.
 * @throws InvalidCheckpointError for missing files, foreign or corrupt content.
 */
export function decodeCheckpoint(
  checkpoint: string,
  files: ReadonlyMap<string, Uint8Array>,
  weightsFile: string = CHECKPOINT_FILES.weights,
): CheckpointContents {
  const stateBytes = files.get(CHECKPOINT_FILES.state);
  if (!stateBytes) {
    fail(checkpoint, `no ${CHECKPOINT_FILES.state}: this folder was not written by @gpt2/trainer.`);
  }
  let state: TrainerState;
  try {
    state = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(stateBytes));
  } catch (cause) {
    fail(checkpoint, `${CHECKPOINT_FILES.state} is not valid JSON (corrupt file).`, cause);
  }
  if (typeof state !== 'object' || state === null || state.format !== CHECKPOINT_FORMAT) {
    fail(
      checkpoint,
      `${CHECKPOINT_FILES.state} is not a ${CHECKPOINT_FORMAT} file (foreign folder).`,
    );
  }
  if (state.version !== CHECKPOINT_VERSION) {
    fail(
      checkpoint,
      `format version ${String(state.version)} is not supported (expected ${CHECKPOINT_VERSION}).`,
    );
  }
  if (!Number.isInteger(state.step) || state.step < 0 || typeof state.optimizer !== 'object') {
    fail(checkpoint, `${CHECKPOINT_FILES.state} lacks a valid step or optimizer section.`);
  }
  const weights = files.get(weightsFile);
  if (!weights) {
    const lora = files.has(LORA_ADAPTER_CONFIG_FILE);
    fail(
      checkpoint,
      `missing ${weightsFile}${
        lora && weightsFile === CHECKPOINT_FILES.weights
          ? ': it is a LoRA checkpoint (adapter_config.json); resume it with the same LoRA settings, or apply it as an adapter'
          : !lora && files.has(CHECKPOINT_FILES.weights)
            ? ': it holds a whole model (model.safetensors), not LoRA adapters'
            : ''
      }.`,
    );
  }
  const optimizerBytes = files.get(CHECKPOINT_FILES.optimizer);
  if (!optimizerBytes) fail(checkpoint, `missing ${CHECKPOINT_FILES.optimizer}.`);
  const moments = new Map<string, MomentTensor>();
  try {
    for (const [name, tensor] of readSafetensors(optimizerBytes, {
      source: CHECKPOINT_FILES.optimizer,
    }).tensors) {
      if (!(tensor.data instanceof Float32Array))
        throw new RangeError(`'${name}' is ${tensor.dtype}, not F32.`);
      moments.set(name, { shape: tensor.shape, data: tensor.data });
    }
  } catch (cause) {
    fail(
      checkpoint,
      `${CHECKPOINT_FILES.optimizer} is corrupt: ${(cause as Error).message}`,
      cause,
    );
  }
  for (const name of state.optimizer.parameters) {
    if (!moments.has(`m.${name}`) || !moments.has(`v.${name}`)) {
      fail(checkpoint, `${CHECKPOINT_FILES.optimizer} lacks the moments of '${name}'.`);
    }
  }
  return { state, weights, moments };
}
