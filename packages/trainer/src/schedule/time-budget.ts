/**
 * Time-budgeted training: fit the learning-rate schedule to a wall-clock
 * budget instead of a step count, so a run that must end by a time still ends
 * its decay (a cosine cut off half-way leaves the model at a high learning
 * rate and a worse loss than a shorter, finished schedule).
 *
 * The trainer runs warmup, then holds the peak learning rate while the planner
 * times the steps. Then the planner turns the measured milliseconds per step
 * (and per evaluation) into the number of steps that fit the rest of the
 * budget, and fixes the schedule for the whole run: `wsd` with the decay
 * starting at the planning step. The plan is plain JSON, stored in
 * checkpoints, so a resumed run follows the same schedule to the same step.
 *
 * Two ways to place the decay:
 * - `cosine` (default): plan once, after `settleSteps + measureSteps` steps;
 *   the cosine decay spans the rest of the run (nanoGPT's shape).
 * - `wsd`: hold the peak until `1 - decayFraction` of the budget has passed,
 *   then plan the decay from the throughput of every step so far (robust to a
 *   machine whose speed drifts; the decay shape is linear).
 */
import { type LearningRateSchedule, validateSchedule } from './learning-rate.js';

/** How the decay is fitted to the budget. */
export type TimeBudgetDecay = 'cosine' | 'wsd';

/** The `timeBudget` section of the training config (plain JSON). */
export interface TimeBudgetConfig {
  /** Training wall time to fill, in ms, over all sessions of the run; evaluations and checkpoints count. */
  ms: number;
  /** Peak learning rate, reached after warmup. */
  maxLr: number;
  /** Learning rate at the end of the decay. Default: `maxLr / 10` (nanoGPT). */
  minLr?: number;
  /** Steps of linear warmup (nanoGPT's formula). Default: 0. */
  warmupSteps?: number;
  /** Where the decay goes: see the module comment. Default: {@link DEFAULT_TIME_BUDGET}.decay (`'cosine'`). */
  decay?: TimeBudgetDecay;
  /** `wsd` only: share of the budget spent decaying. Default: 0.2. */
  decayFraction?: number;
  /** Steps of each session that are not timed (first-call kernel compilation, weight packing). Default: 3. */
  settleSteps?: number;
  /**
   * `cosine` only: steps timed before the plan is made; on a machine so slow
   * that they would take more than `measureFraction` of the budget, the plan
   * comes after that share instead (from at least one timed step). Default: 40.
   */
  measureSteps?: number;
  /** `cosine` only: the most of the budget spent before planning. Default: 0.1. */
  measureFraction?: number;
  /** Share of the budget held back for timing noise. Default: 0.03. */
  margin?: number;
}

/** Defaults of the optional {@link TimeBudgetConfig} fields. */
export const DEFAULT_TIME_BUDGET = {
  warmupSteps: 0,
  decay: 'cosine' as TimeBudgetDecay,
  decayFraction: 0.2,
  settleSteps: 3,
  measureSteps: 40,
  measureFraction: 0.1,
  margin: 0.03,
} as const;

/** A {@link TimeBudgetConfig} with every default filled in. */
export type ResolvedTimeBudget = Required<TimeBudgetConfig>;

/** What the planner decided; stored in checkpoints (`trainer_state.json`'s `timeBudget`). */
export interface TimeBudgetPlan {
  /** The budget planned for, in ms. */
  budgetMs: number;
  /** Optimizer steps done when the plan was made. */
  plannedAtStep: number;
  /** Training ms elapsed (all sessions) when the plan was made. */
  plannedAtMs: number;
  /** Steps timed for the plan. */
  measuredSteps: number;
  /** Measured ms per optimizer step (evaluations excluded). */
  msPerStep: number;
  /** Measured ms per evaluation; 0 when none was timed. */
  msPerEval: number;
  /** Training tokens per second over the timed steps. */
  tokensPerSecond: number;
  /** Steps of the whole run. */
  totalSteps: number;
  /** The run's `maxSteps` when the plan was made (0: none); a different value on resume extends or cuts the run. */
  maxSteps: number;
  /** What bounded `totalSteps`. */
  limitedBy: 'time' | 'maxSteps';
  /** Estimated training ms at the last step, evaluations included. */
  estimatedMs: number;
  /** The schedule of the whole run, exact for every step (the ones before the plan too). */
  schedule: LearningRateSchedule;
}

/** What the trainer tells the planner about the run. */
export interface TimeBudgetRun {
  /** `maxSteps` of the training config; 0: none. */
  maxSteps: number;
  /** Evaluate every this many steps; 0: only at the end. */
  evalInterval: number;
  /** Whether the run evaluates at all (it has a validation source). */
  evaluates: boolean;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(`Training config: timeBudget.${message}`);
}

/**
 * Fill the defaults of a time budget and validate it.
 * @throws RangeError naming the bad field.
 */
export function resolveTimeBudget(input: TimeBudgetConfig): ResolvedTimeBudget {
  const known = new Set(['ms', 'maxLr', 'minLr', ...Object.keys(DEFAULT_TIME_BUDGET)]);
  for (const key of Object.keys(input)) {
    check(known.has(key), `${key} is not a field (valid: ${[...known].join(', ')}).`);
  }
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const budget: ResolvedTimeBudget = {
    ...DEFAULT_TIME_BUDGET,
    minLr: input.maxLr / 10,
    ...given,
  } as ResolvedTimeBudget;
  check(Number.isFinite(budget.ms) && budget.ms > 0, `ms must be > 0, got ${budget.ms}.`);
  check(
    Number.isFinite(budget.maxLr) && budget.maxLr > 0,
    `maxLr must be > 0, got ${budget.maxLr}.`,
  );
  check(
    Number.isFinite(budget.minLr) && budget.minLr >= 0 && budget.minLr <= budget.maxLr,
    `minLr must be in [0, maxLr], got ${budget.minLr}.`,
  );
  for (const key of ['warmupSteps', 'settleSteps'] as const) {
    check(
      Number.isInteger(budget[key]) && budget[key] >= 0,
      `${key} must be an integer ≥ 0, got ${budget[key]}.`,
    );
  }
  check(
    Number.isInteger(budget.measureSteps) && budget.measureSteps >= 1,
    `measureSteps must be an integer ≥ 1, got ${budget.measureSteps}.`,
  );
  check(
    budget.decay === 'cosine' || budget.decay === 'wsd',
    `decay must be 'cosine' or 'wsd', got '${String(budget.decay)}'.`,
  );
  check(
    budget.measureFraction > 0 && budget.measureFraction < 1,
    `measureFraction must be in (0, 1), got ${budget.measureFraction}.`,
  );
  check(
    budget.decayFraction > 0 && budget.decayFraction < 1,
    `decayFraction must be in (0, 1), got ${budget.decayFraction}.`,
  );
  check(
    budget.margin >= 0 && budget.margin < 0.5,
    `margin must be in [0, 0.5), got ${budget.margin}.`,
  );
  return budget;
}

/**
 * A time budget that keeps the peak, floor and warmup of an existing schedule
 * (what `gpt2 train --max-time` does with a config's `schedule`).
 */
export function timeBudgetFromSchedule(
  schedule: LearningRateSchedule,
  ms: number,
): TimeBudgetConfig {
  const warmupSteps = schedule.warmupSteps ?? 0;
  if (schedule.type === 'constant') return { ms, maxLr: schedule.lr, warmupSteps };
  const budget: TimeBudgetConfig = { ms, maxLr: schedule.maxLr, warmupSteps };
  // The cosine schedule's own floor default is maxLr / 10, as the budget's; linear and wsd decay to 0.
  const minLr = schedule.minLr ?? (schedule.type === 'cosine' ? undefined : 0);
  if (minLr !== undefined) budget.minLr = minLr;
  if (schedule.type === 'wsd') budget.decay = 'wsd';
  return budget;
}

/**
 * The schedule of a run planned at step `plannedAt` with `total` steps: warmup,
 * the peak held until `plannedAt`, then the decay to `minLr` at `total`.
 * Exact for the steps taken before the plan, which ran warmup then the peak.
 */
export function budgetSchedule(
  budget: ResolvedTimeBudget,
  plannedAt: number,
  total: number,
): LearningRateSchedule {
  const { maxLr, minLr, warmupSteps } = budget;
  // The run ends inside the warmup: the peak is never reached.
  if (total <= warmupSteps) return { type: 'constant', lr: maxLr, warmupSteps };
  const stableSteps = Math.max(0, plannedAt - warmupSteps);
  return validateSchedule({
    type: 'wsd',
    maxLr,
    minLr,
    warmupSteps,
    stableSteps,
    decaySteps: Math.max(0, total - warmupSteps - stableSteps),
    decayShape: budget.decay === 'cosine' ? 'cosine' : 'linear',
  });
}

/** Evaluations the trainer runs after step `from` up to and including the last step `to`. */
function evaluationsBetween(run: TimeBudgetRun, from: number, to: number): number {
  if (!run.evaluates || to <= from) return 0;
  if (run.evalInterval <= 0) return 1; // only the final one
  const periodic = Math.floor(to / run.evalInterval) - Math.floor(from / run.evalInterval);
  return periodic + (to % run.evalInterval === 0 ? 0 : 1);
}

/**
 * Steps of the whole run that fit the budget: the largest N ≥ `step` with
 * `elapsed + (N - step)·msPerStep + evaluations·msPerEval ≤ budget·(1 - margin)`,
 * capped by `maxSteps`.
 */
export function fitSteps(options: {
  budget: ResolvedTimeBudget;
  run: TimeBudgetRun;
  step: number;
  elapsedMs: number;
  msPerStep: number;
  msPerEval: number;
}): { totalSteps: number; estimatedMs: number; limitedBy: 'time' | 'maxSteps' } {
  const { budget, run, step, elapsedMs, msPerStep, msPerEval } = options;
  const available = budget.ms * (1 - budget.margin) - elapsedMs;
  const cost = (total: number) =>
    (total - step) * msPerStep + evaluationsBetween(run, step, total) * msPerEval;
  const perStep =
    msPerStep + (run.evaluates && run.evalInterval > 0 ? msPerEval / run.evalInterval : 0);
  let total = step + Math.max(0, Math.floor(available / perStep));
  // The estimate above spreads evaluations evenly; step down until the exact count fits.
  while (total > step && cost(total) > available) total--;
  let limitedBy: 'time' | 'maxSteps' = 'time';
  if (run.maxSteps > 0 && total > run.maxSteps) {
    total = Math.max(step, run.maxSteps);
    limitedBy = 'maxSteps';
  }
  return { totalSteps: total, estimatedMs: elapsedMs + cost(total), limitedBy };
}

/**
 * The trainer's side of a time budget: times the steps and evaluations it is
 * told about, makes the plan when it is due, and says which schedule and step
 * limit are in effect. One per trainer; restore a checkpoint's plan with
 * {@link TimeBudgetPlanner.restore}.
 */
export class TimeBudgetPlanner {
  readonly budget: ResolvedTimeBudget;
  private readonly run: TimeBudgetRun;
  private current: TimeBudgetPlan | undefined;
  /** Steps seen in this session (the first `settleSteps` are not timed). */
  private sessionSteps = 0;
  private timedMs = 0;
  private timedSteps = 0;
  private timedTokens = 0;
  private lastEvalMs = 0;

  constructor(budget: TimeBudgetConfig, run: TimeBudgetRun) {
    this.budget = resolveTimeBudget(budget);
    this.run = run;
  }

  /** The plan, once made (or restored). */
  get plan(): TimeBudgetPlan | undefined {
    return this.current;
  }

  /** The schedule in effect: the plan's, or before it, warmup then the peak held. */
  get schedule(): LearningRateSchedule {
    return (
      this.current?.schedule ?? {
        type: 'constant',
        lr: this.budget.maxLr,
        warmupSteps: this.budget.warmupSteps,
      }
    );
  }

  /**
   * The run's step limit: the plan's total, or the config's `maxSteps` when it
   * differs from the one the plan was made with (a resumed run told to go
   * further continues at the schedule's final learning rate). Before the plan:
   * `maxSteps`, or undefined.
   */
  totalSteps(maxSteps: number): number | undefined {
    if (!this.current) return maxSteps > 0 ? maxSteps : undefined;
    if (maxSteps > 0 && maxSteps !== this.current.maxSteps) return maxSteps;
    return this.current.totalSteps;
  }

  /** Start a session: the first steps of each session are compilation, not throughput. */
  startSession(): void {
    this.sessionSteps = 0;
    this.timedMs = 0;
    this.timedSteps = 0;
    this.timedTokens = 0;
  }

  /** Adopt a checkpoint's plan (null or undefined: the plan was not made yet). */
  restore(plan: TimeBudgetPlan | null | undefined): void {
    this.current = plan ?? undefined;
  }

  /** Time one evaluation. */
  recordEval(ms: number): void {
    this.lastEvalMs = ms;
  }

  /**
   * Tell the planner an optimizer step finished.
   * @param step optimizer steps done, this one included
   * @param elapsedMs training ms of the run so far (all sessions)
   * @param stepMs wall ms of this step
   * @param tokens tokens this step trained on
   * @returns the plan when this step made it, else undefined
   */
  afterStep(
    step: number,
    elapsedMs: number,
    stepMs: number,
    tokens: number,
  ): TimeBudgetPlan | undefined {
    if (this.current) return undefined;
    this.sessionSteps++;
    if (this.sessionSteps > this.budget.settleSteps) {
      this.timedMs += stepMs;
      this.timedSteps++;
      this.timedTokens += tokens;
    }
    if (this.timedSteps === 0) return undefined;
    const due =
      this.budget.decay === 'cosine'
        ? this.timedSteps >= this.budget.measureSteps ||
          elapsedMs >= this.budget.ms * this.budget.measureFraction
        : elapsedMs >= this.budget.ms * (1 - this.budget.margin) * (1 - this.budget.decayFraction);
    // The run's own step limit comes first: plan then, so the schedule still ends on time.
    const capped = this.run.maxSteps > 0 && step >= this.run.maxSteps;
    if (!due && !capped) return undefined;
    const msPerStep = this.timedMs / this.timedSteps;
    const fit = fitSteps({
      budget: this.budget,
      run: this.run,
      step,
      elapsedMs,
      msPerStep,
      msPerEval: this.lastEvalMs,
    });
    this.current = {
      budgetMs: this.budget.ms,
      plannedAtStep: step,
      plannedAtMs: elapsedMs,
      measuredSteps: this.timedSteps,
      msPerStep,
      msPerEval: this.lastEvalMs,
      tokensPerSecond: (this.timedTokens * 1000) / this.timedMs,
      totalSteps: fit.totalSteps,
      maxSteps: this.run.maxSteps,
      limitedBy: fit.limitedBy,
      estimatedMs: fit.estimatedMs,
      schedule: budgetSchedule(this.budget, step, fit.totalSteps),
    };
    return this.current;
  }
}

function compact(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

function minutes(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const rest = seconds % 60;
  return rest === 0
    ? `${(seconds / 60) | 0} min`
    : `${(seconds / 60) | 0}m${String(rest).padStart(2, '0')}s`;
}

/**
 * One line for people: `~2.9k tok/s measured → 980 steps fit in 8 min (cosine
 * decay from step 20 to 980, est. 7m46s)`.
 */
export function describeTimeBudgetPlan(plan: TimeBudgetPlan): string {
  const schedule = plan.schedule;
  const decay =
    schedule.type === 'wsd'
      ? `${schedule.decayShape ?? 'linear'} decay from step ${(schedule.warmupSteps ?? 0) + schedule.stableSteps} to ${plan.totalSteps}`
      : `the run ends inside the ${schedule.warmupSteps ?? 0}-step warmup`;
  const limit = plan.limitedBy === 'maxSteps' ? ` (capped by maxSteps ${plan.maxSteps})` : '';
  return `~${compact(plan.tokensPerSecond)} tok/s measured → ${plan.totalSteps} steps fit in ${minutes(plan.budgetMs)}${limit} (${decay}, est. ${minutes(plan.estimatedMs)})`;
}
