/**
 * Learning-rate schedules as plain JSON data plus one pure function of the
 * step, so a checkpoint can store the schedule and resume it exactly.
 */

/** A fixed learning rate, optionally after a linear warmup. */
export interface ConstantSchedule {
  type: 'constant';
  /** The learning rate. */
  lr: number;
  /** Steps of linear warmup from ~0 to `lr`. Default: 0. */
  warmupSteps?: number;
}

/** nanoGPT's schedule: linear warmup, then cosine decay to `minLr`, then `minLr`. */
export interface CosineSchedule {
  type: 'cosine';
  /** Peak learning rate, reached at the end of warmup. */
  maxLr: number;
  /** Floor reached at `decaySteps` and kept afterwards. Default: `maxLr / 10` (nanoGPT). */
  minLr?: number;
  /** Steps of linear warmup. Default: 0. */
  warmupSteps?: number;
  /** The step at which the cosine reaches `minLr` (nanoGPT's `lr_decay_iters`), counted from step 0. */
  decaySteps: number;
}

/** Linear warmup, then a straight line from `maxLr` down to `minLr` at `decaySteps`. */
export interface LinearSchedule {
  type: 'linear';
  /** Peak learning rate. */
  maxLr: number;
  /** Final learning rate. Default: 0. */
  minLr?: number;
  /** Steps of linear warmup. Default: 0. */
  warmupSteps?: number;
  /** The step at which `minLr` is reached, counted from step 0. */
  decaySteps: number;
}

/** Warmup-stable-decay: warmup, a long plateau at `maxLr`, then a short decay to `minLr`. */
export interface WarmupStableDecaySchedule {
  type: 'wsd';
  /** Plateau learning rate. */
  maxLr: number;
  /** Final learning rate. Default: 0. */
  minLr?: number;
  /** Steps of linear warmup. Default: 0. */
  warmupSteps?: number;
  /** Steps at `maxLr` after warmup. */
  stableSteps: number;
  /** Steps of decay after the plateau. */
  decaySteps: number;
  /** Shape of the decay. Default: `'linear'`. */
  decayShape?: 'linear' | 'cosine' | 'sqrt';
  /**
   * Re-fits of the decay's end made during the run (a time budget's re-plans),
   * in step order. Default: none.
   *
   * The decay's progress runs from 0 at its start to 1 at its end, and the
   * learning rate is `decayShape` of it. Without refits the progress is a
   * straight line over `decaySteps`; from each refit's `step` on, it is a
   * straight line from `progress` (where the schedule had got to at that
   * step, so the learning rate stays continuous) to 1 at `endStep`. The last
   * refit's `endStep` is where the decay ends; `decaySteps` keeps the first
   * segment's length, so each step's learning rate is computed exactly as it
   * was when the step ran.
   */
  decayRefits?: DecayRefit[];
}

/** One re-fit of a decay's end: see {@link WarmupStableDecaySchedule.decayRefits}. */
export interface DecayRefit {
  /** First step (0-based) the refit applies to. */
  step: number;
  /** The decay's progress at `step`, in [0, 1]. */
  progress: number;
  /** The step (0-based) at which the decay now ends (progress 1), > `step`. */
  endStep: number;
}

/** Any learning-rate schedule. */
export type LearningRateSchedule =
  | ConstantSchedule
  | CosineSchedule
  | LinearSchedule
  | WarmupStableDecaySchedule;

function assertFinite(value: number, name: string, min = 0): void {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(
      `Learning-rate schedule: ${name} must be a finite number ≥ ${min}, got ${value}.`,
    );
  }
}

/**
 * Check a schedule's fields; returns it unchanged.
 * @throws RangeError naming the bad field.
 */
export function validateSchedule(schedule: LearningRateSchedule): LearningRateSchedule {
  if (schedule.warmupSteps !== undefined) assertFinite(schedule.warmupSteps, 'warmupSteps');
  switch (schedule.type) {
    case 'constant':
      assertFinite(schedule.lr, 'lr');
      break;
    case 'cosine':
    case 'linear':
      assertFinite(schedule.maxLr, 'maxLr');
      if (schedule.minLr !== undefined) assertFinite(schedule.minLr, 'minLr');
      assertFinite(schedule.decaySteps, 'decaySteps');
      if (schedule.decaySteps <= (schedule.warmupSteps ?? 0)) {
        throw new RangeError(
          `Learning-rate schedule: decaySteps (${schedule.decaySteps}) must exceed warmupSteps (${schedule.warmupSteps ?? 0}).`,
        );
      }
      break;
    case 'wsd':
      assertFinite(schedule.maxLr, 'maxLr');
      if (schedule.minLr !== undefined) assertFinite(schedule.minLr, 'minLr');
      assertFinite(schedule.stableSteps, 'stableSteps');
      assertFinite(schedule.decaySteps, 'decaySteps');
      if (schedule.decayRefits !== undefined) validateRefits(schedule);
      break;
    default:
      throw new RangeError(
        `Unknown learning-rate schedule type '${(schedule as { type: unknown }).type}'. Valid: constant, cosine, linear, wsd.`,
      );
  }
  return schedule;
}

function validateRefits(schedule: WarmupStableDecaySchedule): void {
  const refits = schedule.decayRefits;
  if (!Array.isArray(refits)) {
    throw new RangeError('Learning-rate schedule: decayRefits must be an array.');
  }
  const decayStart = (schedule.warmupSteps ?? 0) + schedule.stableSteps;
  let previousStep = decayStart - 1;
  for (const [index, refit] of refits.entries()) {
    const name = `decayRefits[${index}]`;
    if (!Number.isInteger(refit.step) || refit.step <= previousStep) {
      throw new RangeError(
        `Learning-rate schedule: ${name}.step must be an integer ≥ the decay's start (${decayStart}) and after the refit before, got ${refit.step}.`,
      );
    }
    // Where the schedule before this refit had got to: the decay never goes back.
    const reached =
      refit.step > decayStart
        ? decayProgressAt({ ...schedule, decayRefits: refits.slice(0, index) }, refit.step - 1)
        : 0;
    if (!(refit.progress >= reached && refit.progress <= 1)) {
      throw new RangeError(
        `Learning-rate schedule: ${name}.progress must be in [${reached}, 1] (the learning rate never goes back up), got ${refit.progress}.`,
      );
    }
    if (!Number.isInteger(refit.endStep) || refit.endStep <= refit.step) {
      throw new RangeError(
        `Learning-rate schedule: ${name}.endStep must be an integer > step (${refit.step}), got ${refit.endStep}.`,
      );
    }
    previousStep = refit.step;
  }
}

/**
 * Progress of a wsd decay at `step` (≥ the decay's start): 0 at the start, 1
 * at the end and after. See {@link WarmupStableDecaySchedule.decayRefits}.
 */
export function decayProgressAt(schedule: WarmupStableDecaySchedule, step: number): number {
  const decayStart = (schedule.warmupSteps ?? 0) + schedule.stableSteps;
  let refit: DecayRefit | undefined;
  for (const candidate of schedule.decayRefits ?? []) {
    if (candidate.step > step) break;
    refit = candidate;
  }
  if (!refit) {
    // The original segment, computed as before refits existed (old checkpoints resume exactly).
    if (schedule.decaySteps === 0 || step >= decayStart + schedule.decaySteps) return 1;
    return (step - decayStart) / schedule.decaySteps;
  }
  if (step >= refit.endStep) return 1;
  return (
    refit.progress + ((1 - refit.progress) * (step - refit.step)) / (refit.endStep - refit.step)
  );
}

/** Warmup as in current nanoGPT: `lr * (step + 1) / (warmup + 1)`, so step 0 is not wasted at lr 0. */
function warmup(peak: number, step: number, warmupSteps: number): number {
  return (peak * (step + 1)) / (warmupSteps + 1);
}

/**
 * The learning rate at optimizer step `step` (0-based). Pure: the same
 * schedule and step always give the same number.
 */
export function learningRateAt(schedule: LearningRateSchedule, step: number): number {
  if (!Number.isInteger(step) || step < 0) {
    throw new RangeError(`learningRateAt: step must be an integer ≥ 0, got ${step}.`);
  }
  const warmupSteps = schedule.warmupSteps ?? 0;
  switch (schedule.type) {
    case 'constant':
      return step < warmupSteps ? warmup(schedule.lr, step, warmupSteps) : schedule.lr;
    case 'cosine': {
      const minLr = schedule.minLr ?? schedule.maxLr / 10;
      if (step < warmupSteps) return warmup(schedule.maxLr, step, warmupSteps);
      if (step > schedule.decaySteps) return minLr;
      const ratio = (step - warmupSteps) / (schedule.decaySteps - warmupSteps);
      const coefficient = 0.5 * (1 + Math.cos(Math.PI * ratio));
      return minLr + coefficient * (schedule.maxLr - minLr);
    }
    case 'linear': {
      const minLr = schedule.minLr ?? 0;
      if (step < warmupSteps) return warmup(schedule.maxLr, step, warmupSteps);
      if (step > schedule.decaySteps) return minLr;
      const ratio = (step - warmupSteps) / (schedule.decaySteps - warmupSteps);
      return schedule.maxLr + ratio * (minLr - schedule.maxLr);
    }
    case 'wsd': {
      const minLr = schedule.minLr ?? 0;
      if (step < warmupSteps) return warmup(schedule.maxLr, step, warmupSteps);
      const decayStart = warmupSteps + schedule.stableSteps;
      if (step < decayStart) return schedule.maxLr;
      const ratio = decayProgressAt(schedule, step);
      if (ratio >= 1) return minLr;
      const shape = schedule.decayShape ?? 'linear';
      // 1 at the start of the decay, 0 at its end.
      const remaining =
        shape === 'cosine'
          ? 0.5 * (1 + Math.cos(Math.PI * ratio))
          : shape === 'sqrt'
            ? 1 - Math.sqrt(ratio)
            : 1 - ratio;
      return minLr + remaining * (schedule.maxLr - minLr);
    }
  }
}
