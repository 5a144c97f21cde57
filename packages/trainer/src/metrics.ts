/**
 * Run metrics: training wall time across sessions (a resumed run counts its
 * earlier sessions), and per step the tokens/s, model FLOP utilisation and
 * time to the step or time limit, delivered as the `step` event.
 */
import type { StepEvent } from './events.js';
import { modelFlopsPerToken } from './flops.js';
import type { StepOutcome } from './step.js';
import type { TrainableModel } from './trainable-model.js';

/** Options of {@link RunMetrics}. */
export interface RunMetricsOptions {
  /** Milliseconds clock. */
  clock: () => number;
  /** The model, for its FLOPs per token (models without a GPT-2 config have no MFU). */
  model: TrainableModel;
  /** Peak FLOP/s of the device. Default: none (mfu undefined). */
  peakFlops?: number;
}

/** What {@link RunMetrics.stepEvent} needs to know about the run. */
export interface StepEventInput {
  /** Optimizer steps done, this one included. */
  step: number;
  /** Optimizer steps done when this session started. */
  firstStep: number;
  /** Total steps of the run, when known. */
  totalSteps: number | undefined;
  /** Steps per epoch, when the run counts epochs. */
  stepsPerEpoch: number | undefined;
  /** The session's time limit in ms; 0: none. */
  maxTimeMs: number;
  outcome: StepOutcome;
  /** Wall time of the step in ms (data loading included). */
  stepMs: number;
}

/** Model FLOP utilisation: achieved model FLOP/s over the device's peak. */
export function modelFlopUtilisation(
  flopsPerToken: number,
  tokensPerSecond: number,
  peakFlops: number,
): number {
  return (flopsPerToken * tokensPerSecond) / peakFlops;
}

/** The clock of a run and the figures of its step events. */
export class RunMetrics {
  readonly #clock: () => number;
  readonly #model: TrainableModel;
  readonly #peakFlops: number | undefined;
  #flopsPerToken: { value: number | undefined } | undefined;
  #elapsedBeforeMs = 0;
  #sessionStart: number | undefined;

  constructor(options: RunMetricsOptions) {
    if (options.peakFlops !== undefined && !(options.peakFlops > 0)) {
      throw new RangeError(`createTrainer: peakFlops must be > 0, got ${options.peakFlops}.`);
    }
    this.#clock = options.clock;
    this.#model = options.model;
    this.#peakFlops = options.peakFlops;
  }

  /** The clock's current reading in ms. */
  now(): number {
    return this.#clock();
  }

  /** Start timing a session. */
  startSession(): void {
    this.#sessionStart = this.#clock();
  }

  /** Stop timing: the session's time joins the earlier sessions'. */
  endSession(): void {
    this.#elapsedBeforeMs = this.elapsedMs();
    this.#sessionStart = undefined;
  }

  /** Time of this session so far, in ms (0 outside a session). */
  sessionMs(): number {
    return this.#sessionStart === undefined ? 0 : this.#clock() - this.#sessionStart;
  }

  /** Training wall time in ms, earlier sessions of a resumed run included. */
  elapsedMs(): number {
    return (
      this.#elapsedBeforeMs +
      (this.#sessionStart === undefined ? 0 : this.#clock() - this.#sessionStart)
    );
  }

  /** Continue counting from a checkpoint's elapsed time. */
  restoreElapsed(elapsedMs: number): void {
    this.#elapsedBeforeMs = elapsedMs;
  }

  /** The `step` event of a finished (not skipped) step. */
  stepEvent(input: StepEventInput): StepEvent {
    const { step, outcome, totalSteps, stepsPerEpoch, maxTimeMs } = input;
    const tokensPerSecond = (outcome.tokens * 1000) / input.stepMs;
    const sessionMs = this.sessionMs();
    const msPerStep = sessionMs / (step - input.firstStep);
    const etaCandidates: number[] = [];
    if (totalSteps !== undefined) etaCandidates.push((totalSteps - step) * msPerStep);
    if (maxTimeMs > 0) etaCandidates.push(Math.max(0, maxTimeMs - sessionMs));
    this.#flopsPerToken ??= { value: modelFlopsPerToken(this.#model) };
    const flopsPerToken = this.#flopsPerToken.value;
    return {
      type: 'step',
      step,
      totalSteps,
      epoch: stepsPerEpoch === undefined ? undefined : Math.floor((step - 1) / stepsPerEpoch),
      loss: outcome.loss,
      lr: outcome.lr,
      gradNorm: outcome.gradNorm,
      tokens: outcome.tokens,
      tokensPerSecond,
      mfu:
        this.#peakFlops !== undefined && flopsPerToken !== undefined
          ? modelFlopUtilisation(flopsPerToken, tokensPerSecond, this.#peakFlops)
          : undefined,
      elapsedMs: this.elapsedMs(),
      etaMs: etaCandidates.length > 0 ? Math.min(...etaCandidates) : undefined,
    };
  }
}
