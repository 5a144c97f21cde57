import type { TimeBudgetPlan, TimeBudgetReplan } from './schedule/time-budget.js';

/** One optimizer step finished. */
export interface StepEvent {
  type: 'step';
  /** Optimizer steps done, this one included (1 after the first step). */
  step: number;
  /** Total steps of the run, when known (step or epoch limit). */
  totalSteps: number | undefined;
  /** Epoch the step belongs to (0-based), when the run counts epochs. */
  epoch: number | undefined;
  /** Mean training loss over the step's micro-batches. */
  loss: number;
  /** Learning rate used for this step. */
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Tokens processed by this step (all micro-batches). */
  tokens: number;
  /** Tokens per second of this step (wall time, data loading included). */
  tokensPerSecond: number;
  /** Model FLOP utilisation in [0, 1]; undefined without `peakFlops` or a model config. */
  mfu: number | undefined;
  /** Training wall time so far in ms, earlier sessions of a resumed run included. */
  elapsedMs: number;
  /** Estimated ms to the step or time limit; undefined when the run has neither. */
  etaMs: number | undefined;
}

/** A step was skipped because its loss or gradient norm was NaN or infinite. */
export interface SkipEvent {
  type: 'skip';
  /** The optimizer step that was attempted (the step counter did not advance). */
  step: number;
  loss: number;
  gradNorm: number;
  /** Non-finite steps in a row, this one included. */
  consecutive: number;
}

/** An evaluation on the validation set finished. */
export interface EvalEvent {
  type: 'eval';
  step: number;
  /** Mean validation loss over `batches` batches. */
  valLoss: number;
  batches: number;
  /** True when this is the best validation loss so far. */
  best: boolean;
}

/** A checkpoint was written. */
export interface CheckpointEvent {
  type: 'checkpoint';
  step: number;
  name: string;
  /** Where it is (folder path, URL…). */
  location: string;
  reason: 'interval' | 'best' | 'stop' | 'manual';
}

/** A time-budgeted run planned its step count and schedule (`training.timeBudget`). */
export interface PlanEvent {
  type: 'plan';
  /** Optimizer steps done when the plan was made. */
  step: number;
  plan: TimeBudgetPlan;
}

/**
 * A time-budgeted run re-fitted its step count to the time left, from the
 * speed measured since the last (re-)plan (`timeBudget.replanFraction`).
 */
export interface ReplanEvent {
  type: 'replan';
  /** Optimizer steps done when the re-plan was made. */
  step: number;
  /** This re-plan (also the last entry of `plan.replans`). */
  replan: TimeBudgetReplan;
  /** The whole plan, this re-plan included (what checkpoints store). */
  plan: TimeBudgetPlan;
}

/** Why a run stopped. */
export type StopReason = 'max-steps' | 'max-time' | 'aborted' | 'non-finite';

/** The run stopped. */
export interface StopEvent {
  type: 'stop';
  step: number;
  reason: StopReason;
  elapsedMs: number;
  /** Best validation loss seen, if any evaluation ran. */
  bestValLoss: number | undefined;
}

/** Everything a {@link Trainer} reports. */
export type TrainerEvent =
  | StepEvent
  | SkipEvent
  | EvalEvent
  | PlanEvent
  | ReplanEvent
  | CheckpointEvent
  | StopEvent;
