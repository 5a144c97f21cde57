import { describe, expect, it } from 'vitest';
import { learningRateAt } from './learning-rate.js';
import {
  budgetSchedule,
  describeTimeBudgetPlan,
  fitSteps,
  resolveTimeBudget,
  TimeBudgetPlanner,
  timeBudgetFromSchedule,
} from './time-budget.js';

const RUN = { maxSteps: 0, evalInterval: 0, evaluates: false };

describe('resolveTimeBudget', () => {
  it('fills the defaults (minLr = maxLr / 10, as cosine)', () => {
    expect(resolveTimeBudget({ ms: 1000, maxLr: 1e-3 })).toEqual({
      ms: 1000,
      maxLr: 1e-3,
      minLr: 1e-4,
      warmupSteps: 0,
      decay: 'cosine',
      decayFraction: 0.2,
      settleSteps: 3,
      measureSteps: 40,
      measureFraction: 0.1,
      margin: 0.03,
    });
    expect(resolveTimeBudget({ ms: 1000, maxLr: 1, minLr: undefined }).minLr).toBe(0.1);
  });

  it('rejects bad fields by name', () => {
    expect(() => resolveTimeBudget({ ms: 0, maxLr: 1 })).toThrow(/timeBudget\.ms/);
    expect(() => resolveTimeBudget({ ms: 1, maxLr: 1, minLr: 2 })).toThrow(/minLr/);
    expect(() => resolveTimeBudget({ ms: 1, maxLr: 1, warmupSteps: 1.5 })).toThrow(/warmupSteps/);
    expect(() => resolveTimeBudget({ ms: 1, maxLr: 1, measureSteps: 0 })).toThrow(/measureSteps/);
    expect(() => resolveTimeBudget({ ms: 1, maxLr: 1, decay: 'step' as unknown as 'wsd' })).toThrow(
      /decay must be/,
    );
    expect(() => resolveTimeBudget({ ms: 1, maxLr: 1, decayFraction: 1 })).toThrow(/decayFraction/);
    expect(() => resolveTimeBudget({ ms: 1, maxLr: 1, nope: 1 } as never)).toThrow(
      /nope is not a field/,
    );
  });
});

describe('fitSteps', () => {
  const budget = resolveTimeBudget({ ms: 10_000, maxLr: 1, margin: 0 });

  it('fills the rest of the budget with steps', () => {
    // 1 s spent, 100 ms per step: 90 more steps.
    const fit = fitSteps({
      budget,
      run: RUN,
      step: 20,
      elapsedMs: 1000,
      msPerStep: 100,
      msPerEval: 0,
    });
    expect(fit).toEqual({ totalSteps: 110, estimatedMs: 10_000, limitedBy: 'time' });
  });

  it('counts every evaluation the run will do, the final one included', () => {
    const run = { maxSteps: 0, evalInterval: 25, evaluates: true };
    const fit = fitSteps({
      budget,
      run,
      step: 20,
      elapsedMs: 1000,
      msPerStep: 100,
      msPerEval: 300,
    });
    // Brute force: the largest total whose exact cost fits.
    let best = 20;
    for (let total = 20; total < 200; total++) {
      const evals =
        Math.floor(total / 25) - Math.floor(20 / 25) + (total % 25 === 0 || total === 20 ? 0 : 1);
      if (1000 + (total - 20) * 100 + evals * 300 <= 10_000) best = total;
    }
    expect(fit.totalSteps).toBe(best);
    expect(fit.estimatedMs).toBeLessThanOrEqual(10_000);
  });

  it('is capped by maxSteps and never plans fewer steps than are done', () => {
    const capped = fitSteps({
      budget,
      run: { ...RUN, maxSteps: 50 },
      step: 20,
      elapsedMs: 1000,
      msPerStep: 100,
      msPerEval: 0,
    });
    expect(capped).toMatchObject({ totalSteps: 50, limitedBy: 'maxSteps' });
    const late = fitSteps({
      budget,
      run: RUN,
      step: 20,
      elapsedMs: 12_000,
      msPerStep: 100,
      msPerEval: 0,
    });
    expect(late.totalSteps).toBe(20);
  });
});

describe('budgetSchedule', () => {
  const budget = resolveTimeBudget({ ms: 1, maxLr: 1e-3, minLr: 1e-4, warmupSteps: 10 });
  const before = (step: number) =>
    learningRateAt({ type: 'constant', lr: 1e-3, warmupSteps: 10 }, step);

  it('planned after warmup: holds the peak to the plan, then decays to minLr at the last step', () => {
    const schedule = budgetSchedule(budget, 25, 100);
    for (let step = 0; step < 25; step++) expect(learningRateAt(schedule, step)).toBe(before(step));
    expect(learningRateAt(schedule, 25)).toBe(1e-3);
    expect(learningRateAt(schedule, 100)).toBeCloseTo(1e-4, 15);
    // A cosine between step 25 and 100: half-way down at the midpoint.
    expect(learningRateAt(schedule, 62) + learningRateAt(schedule, 63)).toBeCloseTo(1.1e-3, 5);
  });

  it('planned inside warmup: identical to the cosine schedule over the whole run', () => {
    const schedule = budgetSchedule(budget, 5, 100);
    const cosine = {
      type: 'cosine',
      maxLr: 1e-3,
      minLr: 1e-4,
      warmupSteps: 10,
      decaySteps: 100,
    } as const;
    for (let step = 0; step <= 110; step++) {
      expect(learningRateAt(schedule, step)).toBeCloseTo(learningRateAt(cosine, step), 15);
    }
  });

  it('a run shorter than its warmup keeps the warmup ramp', () => {
    expect(budgetSchedule(budget, 5, 8)).toEqual({ type: 'constant', lr: 1e-3, warmupSteps: 10 });
  });

  it('wsd decays linearly', () => {
    const wsd = resolveTimeBudget({ ms: 1, maxLr: 1, minLr: 0, decay: 'wsd' });
    const schedule = budgetSchedule(wsd, 80, 100);
    expect(learningRateAt(schedule, 90)).toBeCloseTo(0.5, 12);
  });
});

describe('TimeBudgetPlanner', () => {
  it('cosine: plans after settle + measure steps, from their mean time', () => {
    const planner = new TimeBudgetPlanner(
      { ms: 100_000, maxLr: 1, settleSteps: 2, measureSteps: 4, margin: 0 },
      RUN,
    );
    planner.startSession();
    const times = [500, 400, 100, 100, 120, 80]; // the first two are compilation
    let elapsed = 0;
    let plan: ReturnType<TimeBudgetPlanner['afterStep']>;
    times.forEach((ms, i) => {
      elapsed += ms;
      plan = planner.afterStep(i + 1, elapsed, ms, 1000);
      if (i < times.length - 1) expect(plan).toBeUndefined();
    });
    expect(plan!).toMatchObject({
      plannedAtStep: 6,
      plannedAtMs: 1300,
      measuredSteps: 4,
      msPerStep: 100,
      tokensPerSecond: 10_000,
      totalSteps: 6 + 987,
      limitedBy: 'time',
    });
    expect(planner.totalSteps(0)).toBe(993);
    expect(planner.schedule).toBe(plan!.schedule);
    expect(planner.afterStep(7, 1400, 100, 1000)).toBeUndefined(); // planned once
    expect(describeTimeBudgetPlan(plan!)).toBe(
      '~10.0k tok/s measured → 993 steps fit in 1m40s (cosine decay from step 6 to 993, est. 1m40s)',
    );
  });

  it('cosine on a slow machine: plans once a tenth of the budget is gone', () => {
    const planner = new TimeBudgetPlanner(
      { ms: 10_000, maxLr: 1, settleSteps: 1, measureSteps: 20, margin: 0 },
      RUN,
    );
    planner.startSession();
    expect(planner.afterStep(1, 600, 600, 100)).toBeUndefined(); // settling
    expect(planner.afterStep(2, 900, 300, 100)).toBeUndefined();
    const plan = planner.afterStep(3, 1200, 300, 100);
    expect(plan).toMatchObject({
      plannedAtStep: 3,
      measuredSteps: 2,
      msPerStep: 300,
      totalSteps: 32,
    });
  });

  it('wsd: holds the peak until 1 - decayFraction of the budget, then plans the decay', () => {
    const planner = new TimeBudgetPlanner(
      { ms: 1000, maxLr: 1, decay: 'wsd', decayFraction: 0.25, settleSteps: 0, margin: 0 },
      RUN,
    );
    planner.startSession();
    let step = 0;
    let plan: ReturnType<TimeBudgetPlanner['afterStep']>;
    while (!plan) {
      step++;
      expect(learningRateAt(planner.schedule, step - 1)).toBe(1);
      plan = planner.afterStep(step, step * 10, 10, 100);
    }
    expect(plan.plannedAtStep).toBe(75);
    expect(plan.totalSteps).toBe(100);
    expect(plan.schedule).toMatchObject({ type: 'wsd', stableSteps: 75, decaySteps: 25 });
  });

  it('restores a plan; a different maxSteps on resume moves the end', () => {
    const planner = new TimeBudgetPlanner({ ms: 1000, maxLr: 1 }, RUN);
    expect(planner.totalSteps(0)).toBeUndefined();
    expect(planner.totalSteps(40)).toBe(40);
    const plan = {
      budgetMs: 1000,
      plannedAtStep: 23,
      plannedAtMs: 230,
      measuredSteps: 20,
      msPerStep: 10,
      msPerEval: 0,
      tokensPerSecond: 1,
      totalSteps: 97,
      maxSteps: 0,
      limitedBy: 'time' as const,
      estimatedMs: 970,
      schedule: { type: 'constant' as const, lr: 1 },
    };
    planner.restore(plan);
    expect(planner.totalSteps(0)).toBe(97);
    expect(planner.totalSteps(200)).toBe(200);
    expect(planner.schedule).toEqual(plan.schedule);
  });
});

describe('timeBudgetFromSchedule', () => {
  it("keeps a schedule's peak, floor and warmup", () => {
    expect(
      timeBudgetFromSchedule(
        { type: 'cosine', maxLr: 2e-3, warmupSteps: 100, decaySteps: 1200 },
        60_000,
      ),
    ).toEqual({ ms: 60_000, maxLr: 2e-3, warmupSteps: 100 });
    expect(timeBudgetFromSchedule({ type: 'constant', lr: 1e-3 }, 1)).toEqual({
      ms: 1,
      maxLr: 1e-3,
      warmupSteps: 0,
    });
    expect(
      timeBudgetFromSchedule(
        { type: 'wsd', maxLr: 1, stableSteps: 5, decaySteps: 5, warmupSteps: 2 },
        1,
      ),
    ).toEqual({ ms: 1, maxLr: 1, minLr: 0, warmupSteps: 2, decay: 'wsd' });
  });
});
