/**
 * Time-budgeted training: fit the learning-rate schedule to a wall-clock
 * budget instead of a step count, so a run that must end by a time still ends
 * its decay (a cosine cut off half-way leaves the model at a high learning
 * rate and a worse loss than a shorter, finished schedule).
 *
 * The trainer runs warmup, then holds the peak learning rate while the planner
 * times the steps. Then the planner turns the measured milliseconds per step
 * (and per evaluation) into the number of steps that fit the rest of the
 * budget, and plans the schedule: `wsd` with the decay starting at the
 * planning step. The plan is plain JSON, stored in checkpoints, so a resumed
 * run follows the same schedule for every step already taken.
 *
 * Two ways to place the decay:
 * - `cosine` (default): plan after `settleSteps + measureSteps` steps; the
 *   cosine decay spans the rest of the run (nanoGPT's shape).
 * - `wsd`: hold the peak until `1 - decayFraction` of the budget has passed,
 *   then plan the decay from the throughput of every step so far (the decay
 *   shape is linear).
 *
 * Re-plans: a machine's speed drifts (evaluations, other work on it, a noisy
 * thread count), so a step count fixed from the first seconds misses the
 * budget: too many steps and the time runs out with the learning rate still
 * high, too few and the budget is wasted. So every `replanFraction` of the
 * budget after the plan, the planner times the steps since the last (re-)plan
 * (wall time between steps, evaluations timed separately) and re-fits the
 * remaining steps to the remaining time. The decay keeps the progress `p0` it
 * has reached at the re-plan step `s0` and runs linearly on to the new end `E'`:
 * `progress(s) = p0 + (1 - p0)·(s - s0)/(E' - s0)`, so the learning rate is
 * continuous and never goes back up (a {@link DecayRefit} of the schedule).
 */
import {
  type DecayRefit,
  decayProgressAt,
  type LearningRateSchedule,
  validateSchedule,
} from './learning-rate.js';

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
  /**
   * Share of the time left at each (re-)plan held back for timing noise.
   * Default: 0.03.
   */
  margin?: number;
  /**
   * Re-plan every time this share of the budget has passed since the last
   * (re-)plan, from the speed measured since; 0: plan once and keep the step
   * count. Default: 0.1.
   */
  replanFraction?: number;
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
  replanFraction: 0.1,
} as const;

/**
 * A re-plan never ends the decay sooner than this many steps after the re-plan
 * step (or the end planned before, if that is sooner): even when the budget is
 * already spent, the learning rate comes down over a few steps instead of
 * jumping to `minLr`.
 */
export const REPLAN_MIN_STEPS = 5;

/**
 * A re-plan keeps the step count when the new fit moves it by less than this
 * share of the steps left: timing noise, not a change of speed.
 */
export const REPLAN_MIN_CHANGE = 0.01;

/** A {@link TimeBudgetConfig} with every default filled in. */
export type ResolvedTimeBudget = Required<TimeBudgetConfig>;

/** One fit of the run's step count to the budget: the plan, or a re-plan. */
export interface TimeBudgetFit {
  /** Optimizer steps done when the fit was made. */
  plannedAtStep: number;
  /** Training ms elapsed (all sessions) when the fit was made. */
  plannedAtMs: number;
  /** Steps timed for the fit. */
  measuredSteps: number;
  /**
   * Measured ms per optimizer step (evaluations excluded). The plan times the
   * steps themselves; a re-plan the wall time between steps (checkpoints and
   * event handlers included).
   */
  msPerStep: number;
  /** Measured ms per evaluation; 0 when none was timed. */
  msPerEval: number;
  /** Training tokens per second over the timed steps. */
  tokensPerSecond: number;
  /** Steps of the whole run. */
  totalSteps: number;
  /** What bounded `totalSteps`. */
  limitedBy: 'time' | 'maxSteps';
  /** Estimated training ms at the last step, evaluations included. */
  estimatedMs: number;
  /** The schedule of the whole run, exact for every step (the ones before the fit too). */
  schedule: LearningRateSchedule;
}

/** A re-fit of the step count during the run (see the module comment). */
export interface TimeBudgetReplan extends TimeBudgetFit {
  /** `totalSteps` of the fit before (equal when the change was below {@link REPLAN_MIN_CHANGE}). */
  previousTotalSteps: number;
}

/**
 * What the planner decided; stored in checkpoints (`trainer_state.json`'s
 * `timeBudget`). The fields of {@link TimeBudgetFit} are the first plan's;
 * the fit in effect is the last re-plan's ({@link currentTimeBudgetFit}).
 */
export interface TimeBudgetPlan extends TimeBudgetFit {
  /** The budget planned for, in ms. */
  budgetMs: number;
  /** The run's `maxSteps` when the plan was made (0: none); a different value on resume extends or cuts the run. */
  maxSteps: number;
  /** Re-plans, in step order. Absent: none yet (and in checkpoints older than re-planning). */
  replans?: TimeBudgetReplan[];
}

/** The fit in effect: the last re-plan, or the plan itself. */
export function currentTimeBudgetFit(plan: TimeBudgetPlan): TimeBudgetFit {
  return plan.replans?.at(-1) ?? plan;
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
  check(
    budget.replanFraction >= 0 && budget.replanFraction < 1,
    `replanFraction must be in [0, 1), got ${budget.replanFraction}.`,
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

/**
 * The schedule after a re-plan at step `step` (steps done) to `total` steps:
 * the same learning rate for every step before `step`, and from it on the
 * decay's progress runs linearly from where it is to 1 at `total` (a
 * {@link DecayRefit}). Before the decay has started, the plan's schedule with
 * the new length.
 * @param plannedAt the step of the first plan (where {@link budgetSchedule} starts the decay)
 */
export function refitSchedule(
  budget: ResolvedTimeBudget,
  plannedAt: number,
  schedule: LearningRateSchedule,
  step: number,
  total: number,
): LearningRateSchedule {
  const decayStart =
    schedule.type === 'wsd' ? (schedule.warmupSteps ?? 0) + schedule.stableSteps : undefined;
  if (schedule.type !== 'wsd' || decayStart === undefined || step <= decayStart) {
    // Warmup or the peak so far: both schedules agree on every step taken.
    return budgetSchedule(budget, plannedAt, total);
  }
  const refit: DecayRefit = {
    step,
    progress: decayProgressAt(schedule, step),
    endStep: total,
  };
  return validateSchedule({
    ...schedule,
    decayRefits: [...(schedule.decayRefits ?? []), refit],
  });
}

/** Evaluations the trainer runs after step `from` up to and including the last step `to`. */
function evaluationsBetween(run: TimeBudgetRun, from: number, to: number): number {
  if (!run.evaluates || to <= from) return 0;
  if (run.evalInterval <= 0) return 1; // only the final one
  const periodic = Math.floor(to / run.evalInterval) - Math.floor(from / run.evalInterval);
  return periodic + (to % run.evalInterval === 0 ? 0 : 1);
}

/** Estimated ms from step `step` to the last step `total`, evaluations included. */
function estimateMs(
  run: TimeBudgetRun,
  step: number,
  total: number,
  msPerStep: number,
  msPerEval: number,
): number {
  return (total - step) * msPerStep + evaluationsBetween(run, step, total) * msPerEval;
}

/**
 * Steps of the whole run that fit the budget: the largest N ≥ `step` with
 * `(N - step)·msPerStep + evaluations·msPerEval ≤ (budget - elapsed)·(1 - margin)`,
 * capped by `maxSteps`. The margin is a share of the time left, so a late
 * re-plan, which has little left to guess, holds little back.
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
  const available = (budget.ms - elapsedMs) * (1 - budget.margin);
  const cost = (total: number) => estimateMs(run, step, total, msPerStep, msPerEval);
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

/** Steps and evaluations timed since a (re-)plan, for the next re-plan. */
interface ReplanWindow {
  /** Steps done and training ms elapsed when the window opened. */
  step: number;
  ms: number;
  tokens: number;
  evalMs: number;
  evals: number;
}

/**
 * The trainer's side of a time budget: times the steps and evaluations it is
 * told about, makes the plan when it is due and the re-plans after it, and
 * says which schedule and step limit are in effect. One per trainer; restore
 * a checkpoint's plan with {@link TimeBudgetPlanner.restore}.
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
  /** After the plan: what was timed since the last (re-)plan; undefined while the session settles. */
  private window: ReplanWindow | undefined;

  constructor(budget: TimeBudgetConfig, run: TimeBudgetRun) {
    this.budget = resolveTimeBudget(budget);
    this.run = run;
  }

  /** The plan, once made (or restored), with its re-plans. */
  get plan(): TimeBudgetPlan | undefined {
    return this.current;
  }

  /** The schedule in effect: the last (re-)plan's, or before the plan, warmup then the peak held. */
  get schedule(): LearningRateSchedule {
    if (this.current) return currentTimeBudgetFit(this.current).schedule;
    return { type: 'constant', lr: this.budget.maxLr, warmupSteps: this.budget.warmupSteps };
  }

  /**
   * The run's step limit: the last (re-)plan's total, or the config's
   * `maxSteps` when it differs from the one the plan was made with (a resumed
   * run told to go further continues at the schedule's final learning rate).
   * Before the plan: `maxSteps`, or undefined.
   */
  totalSteps(maxSteps: number): number | undefined {
    if (!this.current) return maxSteps > 0 ? maxSteps : undefined;
    if (this.#maxStepsOverride(maxSteps)) return maxSteps;
    return currentTimeBudgetFit(this.current).totalSteps;
  }

  #maxStepsOverride(maxSteps: number): boolean {
    return this.current !== undefined && maxSteps > 0 && maxSteps !== this.current.maxSteps;
  }

  /**
   * Start a session: the first steps of each session are compilation, not
   * throughput.
   * @param position steps done and training ms elapsed at the start; with
   *   `settleSteps` 0, re-plans time the session from there (else from its first step).
   */
  startSession(position?: { step: number; elapsedMs: number }): void {
    this.sessionSteps = 0;
    this.timedMs = 0;
    this.timedSteps = 0;
    this.timedTokens = 0;
    this.window =
      position && this.budget.settleSteps === 0
        ? { step: position.step, ms: position.elapsedMs, tokens: 0, evalMs: 0, evals: 0 }
        : undefined;
  }

  /**
   * Adopt a checkpoint's plan (null or undefined: the plan was not made yet).
   * @throws RangeError when the plan's schedule is not valid.
   */
  restore(plan: TimeBudgetPlan | null | undefined): void {
    if (plan) validateSchedule(currentTimeBudgetFit(plan).schedule);
    this.current = plan ?? undefined;
  }

  /** Time one evaluation. */
  recordEval(ms: number): void {
    this.lastEvalMs = ms;
    if (this.window) {
      this.window.evalMs += ms;
      this.window.evals++;
    }
  }

  /**
   * Tell the planner an optimizer step finished.
   * @param step optimizer steps done, this one included
   * @param elapsedMs training ms of the run so far (all sessions)
   * @param stepMs wall ms of this step
   * @param tokens tokens this step trained on
   * @returns the plan when this step made it or re-planned it (then its last
   *   `replans` entry is this step's), else undefined
   */
  afterStep(
    step: number,
    elapsedMs: number,
    stepMs: number,
    tokens: number,
  ): TimeBudgetPlan | undefined {
    this.sessionSteps++;
    if (this.current) return this.#afterPlannedStep(step, elapsedMs, tokens);
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
    this.window = { step, ms: elapsedMs, tokens: 0, evalMs: 0, evals: 0 };
    return this.current;
  }

  #afterPlannedStep(step: number, elapsedMs: number, tokens: number): TimeBudgetPlan | undefined {
    const plan = this.current as TimeBudgetPlan;
    const { settleSteps, replanFraction, measureSteps, measureFraction } = this.budget;
    if (this.sessionSteps <= settleSteps) {
      // Compilation: the window opens when the session has settled.
      this.window =
        this.sessionSteps === settleSteps
          ? { step, ms: elapsedMs, tokens: 0, evalMs: 0, evals: 0 }
          : undefined;
      return undefined;
    }
    const window = this.window;
    if (!window) {
      // settleSteps 0 and no start position: time from the end of this step.
      this.window = { step, ms: elapsedMs, tokens: 0, evalMs: 0, evals: 0 };
      return undefined;
    }
    window.tokens += tokens;
    const last = currentTimeBudgetFit(plan);
    const due =
      replanFraction > 0 &&
      // A resumed run given a new maxSteps ends there, whatever the clock says.
      !this.#maxStepsOverride(this.run.maxSteps) &&
      step < last.totalSteps &&
      elapsedMs >= last.plannedAtMs + replanFraction * this.budget.ms;
    const timedSteps = step - window.step;
    // A session resumed late times enough steps first, as the plan does.
    const measured =
      timedSteps >= measureSteps || elapsedMs - window.ms >= measureFraction * this.budget.ms;
    if (!due || timedSteps === 0 || !measured) return undefined;
    const stepsMs = Math.max(elapsedMs - window.ms - window.evalMs, 1e-3);
    const msPerStep = stepsMs / timedSteps;
    const msPerEval = window.evals > 0 ? window.evalMs / window.evals : last.msPerEval;
    const fit = fitSteps({
      budget: this.budget,
      run: this.run,
      step,
      elapsedMs,
      msPerStep,
      msPerEval,
    });
    // Never end right away, but never go past the last fit for that reason alone.
    let totalSteps = Math.max(fit.totalSteps, Math.min(step + REPLAN_MIN_STEPS, last.totalSteps));
    let limitedBy = fit.limitedBy;
    if (this.run.maxSteps > 0 && totalSteps > this.run.maxSteps) {
      totalSteps = Math.max(step + 1, this.run.maxSteps);
      limitedBy = 'maxSteps';
    }
    const noise = Math.max(1, Math.ceil(REPLAN_MIN_CHANGE * (last.totalSteps - step)));
    if (Math.abs(totalSteps - last.totalSteps) < noise) {
      totalSteps = last.totalSteps;
      limitedBy = last.limitedBy;
    }
    const replan: TimeBudgetReplan = {
      plannedAtStep: step,
      plannedAtMs: elapsedMs,
      measuredSteps: timedSteps,
      msPerStep,
      msPerEval,
      tokensPerSecond: (window.tokens * 1000) / stepsMs,
      totalSteps,
      limitedBy,
      estimatedMs: elapsedMs + estimateMs(this.run, step, totalSteps, msPerStep, msPerEval),
      schedule:
        totalSteps === last.totalSteps
          ? last.schedule
          : refitSchedule(this.budget, plan.plannedAtStep, last.schedule, step, totalSteps),
      previousTotalSteps: last.totalSteps,
    };
    // A new object: the plan handed out before stays as it was.
    this.current = { ...plan, replans: [...(plan.replans ?? []), replan] };
    this.window = { step, ms: elapsedMs, tokens: 0, evalMs: 0, evals: 0 };
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
 * One line for people about the first plan: `~2.9k tok/s measured → 980 steps fit in 8 min (cosine
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

/**
 * One line for people about a re-plan: `re-plan at step 3000: ~21.2k tok/s →
 * 9400 steps (was 10619), est. 7m41s`.
 */
export function describeTimeBudgetReplan(replan: TimeBudgetReplan): string {
  const change =
    replan.totalSteps === replan.previousTotalSteps
      ? 'unchanged'
      : `was ${replan.previousTotalSteps}`;
  const limit = replan.limitedBy === 'maxSteps' ? ', capped by maxSteps' : '';
  return `re-plan at step ${replan.plannedAtStep}: ~${compact(replan.tokensPerSecond)} tok/s → ${replan.totalSteps} steps (${change}${limit}), est. ${minutes(replan.estimatedMs)}`;
}
