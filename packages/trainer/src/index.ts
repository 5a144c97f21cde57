/**
 * @gpt2/trainer: pretraining and fine-tuning for @gpt2/model with nanoGPT
 * semantics: AdamW (decoupled decay on rank ≥ 2 parameters), learning-rate
 * schedules, gradient accumulation and clipping, evaluation, checkpoints with
 * exact resume, a NaN/Inf guard and events for UIs. Checkpoint folders on disk
 * are on the `@gpt2/trainer/node` subpath.
 */
export type {
  StatefulGenerator,
  TrainingBatch,
  TrainingBatchSource,
} from './batch-source.js';
export {
  CHECKPOINT_FILES,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointContents,
  decodeCheckpoint,
  encodeCheckpoint,
  type MomentTensor,
  type TrainerState,
} from './checkpoint/checkpoint-format.js';
export { assertCheckpointName, type CheckpointStore } from './checkpoint/checkpoint-store.js';
export {
  type LoadCheckpointWeightsOptions,
  loadCheckpointWeights,
} from './checkpoint/checkpointer.js';
export { createMemoryCheckpointStore } from './checkpoint/memory-checkpoint-store.js';
export {
  BEST_CHECKPOINT,
  latestCheckpoint,
  stepCheckpointName,
} from './checkpoint/naming.js';
export {
  DEFAULT_TRAINING_CONFIG,
  type FreezeConfig,
  resolveTrainingConfig,
  type TrainingConfig,
  type TrainingConfigInput,
  trainableParameters,
} from './config.js';
export { CheckpointMismatchError } from './errors/checkpoint-mismatch-error.js';
export { CheckpointWriteError } from './errors/checkpoint-write-error.js';
export { InvalidCheckpointError } from './errors/invalid-checkpoint-error.js';
export { NonFiniteError } from './errors/non-finite-error.js';
export type {
  CheckpointEvent,
  EvalEvent,
  PlanEvent,
  ReplanEvent,
  SkipEvent,
  StepEvent,
  StopEvent,
  StopReason,
  TrainerEvent,
} from './events.js';
export { modelFlopsPerToken } from './flops.js';
export { GPT2_WEIGHTS_CODEC, PARAMETERS_WEIGHTS_CODEC, withDropout } from './gpt2-weights.js';
export {
  createLoraWeightsCodec,
  isLoraModel,
  type LoraWeightsCodecOptions,
} from './lora-weights.js';
export {
  AdamW,
  type AdamWHyperparameters,
  type AdamWOptions,
  type AdamWState,
  DEFAULT_ADAMW,
} from './optimizer/adamw.js';
export { clipCoefficient, globalNorm } from './optimizer/clip.js';
export {
  type ConstantSchedule,
  type CosineSchedule,
  type DecayRefit,
  decayProgressAt,
  type LearningRateSchedule,
  type LinearSchedule,
  learningRateAt,
  validateSchedule,
  type WarmupStableDecaySchedule,
} from './schedule/learning-rate.js';
export {
  budgetSchedule,
  currentTimeBudgetFit,
  DEFAULT_TIME_BUDGET,
  describeTimeBudgetPlan,
  describeTimeBudgetReplan,
  fitSteps,
  REPLAN_MIN_CHANGE,
  REPLAN_MIN_STEPS,
  type ResolvedTimeBudget,
  refitSchedule,
  resolveTimeBudget,
  type TimeBudgetConfig,
  type TimeBudgetDecay,
  type TimeBudgetFit,
  type TimeBudgetPlan,
  TimeBudgetPlanner,
  type TimeBudgetReplan,
  type TimeBudgetRun,
  timeBudgetFromSchedule,
} from './schedule/time-budget.js';
export type { TrainableLossOptions, TrainableModel, WeightsCodec } from './trainable-model.js';
export {
  createTrainer,
  type ResumeOptions,
  Trainer,
  type TrainerOptions,
  type TrainResult,
} from './trainer.js';

/** Package version, kept in step with package.json by changesets. */
export const VERSION = '0.1.0';
