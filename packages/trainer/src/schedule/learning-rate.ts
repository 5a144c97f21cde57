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
      break;
    default:
      throw new RangeError(
        `Unknown learning-rate schedule type '${(schedule as { type: unknown }).type}'. Valid: constant, cosine, linear, wsd.`,
      );
  }
  return schedule;
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
      if (schedule.decaySteps === 0 || step >= decayStart + schedule.decaySteps) return minLr;
      const ratio = (step - decayStart) / schedule.decaySteps;
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
