import { describe, expect, it } from 'vitest';
import { type LearningRateSchedule, learningRateAt } from './learning-rate.js';
import {
  budgetSchedule,
  currentTimeBudgetFit,
  describeTimeBudgetPlan,
  describeTimeBudgetReplan,
  fitSteps,
  resolveTimeBudget,
  type TimeBudgetConfig,
  type TimeBudgetPlan,
  TimeBudgetPlanner,
  type TimeBudgetRun,
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
      replanFraction: 0.1,
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
    expect(() => resolveTimeBudget({ ms: 1, maxLr: 1, replanFraction: -0.1 })).toThrow(
      /replanFraction/,
    );
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

/**
 * A planner driven as the trainer drives it, on a fake clock: step `i` (0-based)
 * takes `msAt(i)` ms, an evaluation every `run.evalInterval` steps and one at
 * the start and the end take `evalMs`. Each step runs at the learning rate of the schedule in
 * effect before it. Stops at the planned total (or at `stopAt`).
 */
function simulate(options: {
  planner: TimeBudgetPlanner;
  run: TimeBudgetRun;
  msAt: (step: number) => number;
  evalMs?: number;
  start?: { step: number; elapsedMs: number };
  stopAt?: number;
}) {
  const { planner, run, msAt, evalMs = 0, stopAt } = options;
  let step = options.start?.step ?? 0;
  let elapsed = options.start?.elapsedMs ?? 0;
  planner.startSession({ step, elapsedMs: elapsed });
  if (!options.start && run.evaluates) {
    // The trainer's evaluation before the first step.
    elapsed += evalMs;
    planner.recordEval(evalMs);
  }
  const lrs: number[] = [];
  const schedules: Array<{
    step: number;
    before: LearningRateSchedule;
    after: LearningRateSchedule;
  }> = [];
  for (;;) {
    const total = planner.totalSteps(run.maxSteps);
    if ((total !== undefined && step >= total) || step === stopAt) break;
    lrs.push(learningRateAt(planner.schedule, step));
    const ms = msAt(step);
    elapsed += ms;
    step++;
    const before = planner.schedule;
    if (planner.afterStep(step, elapsed, ms, 1000)) {
      schedules.push({ step, before, after: planner.schedule });
    }
    if (run.evaluates && run.evalInterval > 0 && step % run.evalInterval === 0) {
      elapsed += evalMs;
      planner.recordEval(evalMs);
    }
  }
  if (stopAt === undefined && run.evaluates && step % run.evalInterval !== 0) elapsed += evalMs;
  return { step, elapsed, lrs, schedules, plan: planner.plan as TimeBudgetPlan };
}

describe('TimeBudgetPlanner re-plans', () => {
  const config: TimeBudgetConfig = {
    ms: 100_000,
    maxLr: 1e-3,
    minLr: 1e-4,
    warmupSteps: 50,
    settleSteps: 0,
    measureSteps: 20,
  };
  const run = { maxSteps: 0, evalInterval: 250, evaluates: true };
  const slowsDown = (step: number) => (step < 300 ? 10 : 14);
  const speedsUp = (step: number) => (step < 300 ? 14 : 10);

  /** Every step before the end ran at the final schedule's lr, and the lr never went back up. */
  function expectExactAndMonotone(lrs: number[], schedule: LearningRateSchedule) {
    expect(lrs).toEqual(lrs.map((_, step) => learningRateAt(schedule, step)));
    const rises = lrs.filter((lr, step) => step > 50 && lr > lrs[step - 1]!);
    expect(rises).toEqual([]);
  }

  it('a machine that slows down after the plan still ends its decay within the budget', () => {
    const once = simulate({
      planner: new TimeBudgetPlanner({ ...config, replanFraction: 0 }, run),
      run,
      msAt: slowsDown,
      evalMs: 50,
    });
    // The bug re-planning fixes: the steps planned from the first speed overrun the budget by a third.
    expect(once.elapsed).toBeGreaterThan(config.ms * 1.3);

    const planner = new TimeBudgetPlanner(config, run);
    const { elapsed, lrs, step, plan, schedules } = simulate({
      planner,
      run,
      msAt: slowsDown,
      evalMs: 50,
    });
    const replans = plan.replans ?? [];
    expect(replans.length).toBeGreaterThanOrEqual(5);
    expect(replans[0]).toMatchObject({ previousTotalSteps: plan.totalSteps, msPerEval: 50 });
    expect(replans[0]!.totalSteps).toBeLessThan(plan.totalSteps);
    expect(step).toBe(currentTimeBudgetFit(plan).totalSteps);
    expect(elapsed).toBeLessThanOrEqual(config.ms);
    expect(elapsed).toBeGreaterThan(config.ms * 0.97);
    // The last step runs at minLr, to a part in a thousand of the decay.
    expect(lrs.at(-1)! - 1e-4).toBeLessThan(1e-3 * 9e-4);
    expectExactAndMonotone(lrs, planner.schedule);
    // At each re-plan: the same lr as before for every step taken and the next one.
    for (const { step: at, before, after } of schedules.slice(1)) {
      const taken = Array.from({ length: at + 1 }, (_, s) => s);
      expect(taken.map((s) => learningRateAt(after, s))).toEqual(
        taken.map((s) => learningRateAt(before, s)),
      );
    }
    expect(describeTimeBudgetReplan(replans[0]!)).toMatch(
      /^re-plan at step \d+: ~[\d.]+k tok\/s → \d+ steps \(was \d+\), est\. 1m\d\ds$/,
    );
  });

  it('a machine that speeds up uses the time it saves', () => {
    const once = simulate({
      planner: new TimeBudgetPlanner({ ...config, replanFraction: 0 }, run),
      run,
      msAt: speedsUp,
      evalMs: 50,
    });
    expect(once.elapsed).toBeLessThan(config.ms * 0.8);
    const planner = new TimeBudgetPlanner(config, run);
    const { elapsed, lrs, plan } = simulate({ planner, run, msAt: speedsUp, evalMs: 50 });
    expect(currentTimeBudgetFit(plan).totalSteps).toBeGreaterThan(plan.totalSteps * 1.3);
    expect(elapsed).toBeLessThanOrEqual(config.ms);
    expect(elapsed).toBeGreaterThan(config.ms * 0.97);
    expect(lrs.at(-1)! - 1e-4).toBeLessThan(1e-3 * 9e-4);
    expectExactAndMonotone(lrs, planner.schedule);
  });

  it('a run resumed from a checkpoint between re-plans takes the same steps at the same lrs', () => {
    const straight = simulate({
      planner: new TimeBudgetPlanner(config, run),
      run,
      msAt: slowsDown,
      evalMs: 50,
    });
    const resumeAt = straight.plan.replans![2]!.plannedAtStep + 7;
    const first = simulate({
      planner: new TimeBudgetPlanner(config, run),
      run,
      msAt: slowsDown,
      evalMs: 50,
      stopAt: resumeAt,
    });
    // What a checkpoint holds: plain JSON.
    const saved = JSON.parse(JSON.stringify(first.plan)) as TimeBudgetPlan;
    expect(saved.replans).toHaveLength(3);
    const planner = new TimeBudgetPlanner(config, run);
    planner.restore(saved);
    const rest = simulate({
      planner,
      run,
      msAt: slowsDown,
      evalMs: 50,
      start: { step: resumeAt, elapsedMs: first.elapsed },
    });
    expect([...first.lrs, ...rest.lrs]).toEqual(straight.lrs);
    // The same re-plans; only the count of steps timed for the first one after resuming differs.
    const fits = (plan: TimeBudgetPlan) => plan.replans!.map(({ measuredSteps, ...fit }) => fit);
    expect(fits(rest.plan)).toEqual(fits(straight.plan));
  });

  it('restores a single-plan checkpoint from before re-planning, and re-plans from it', () => {
    const old = JSON.parse(
      '{"budgetMs":100000,"plannedAtStep":70,"plannedAtMs":700,"measuredSteps":20,"msPerStep":10,"msPerEval":50,"tokensPerSecond":100000,"totalSteps":9350,"maxSteps":0,"limitedBy":"time","estimatedMs":96950,"schedule":{"type":"wsd","maxLr":0.001,"minLr":0.0001,"warmupSteps":50,"stableSteps":20,"decaySteps":9280,"decayShape":"cosine"}}',
    ) as TimeBudgetPlan;
    const planner = new TimeBudgetPlanner(config, run);
    planner.restore(old);
    expect(planner.totalSteps(0)).toBe(9350);
    expect(planner.schedule).toEqual(old.schedule);
    const { elapsed, lrs, plan } = simulate({
      planner,
      run,
      msAt: () => 14,
      evalMs: 50,
      start: { step: 1000, elapsedMs: 10_000 },
    });
    expect(plan.replans?.length).toBeGreaterThan(0);
    expect(plan).toMatchObject(old); // the plan's own fields stay as they were
    expect(elapsed).toBeLessThanOrEqual(config.ms);
    expect(elapsed).toBeGreaterThan(config.ms * 0.97);
    // Steps before the first re-plan ran on the old schedule, and the final schedule agrees.
    const firstReplan = plan.replans![0]!.plannedAtStep;
    for (let step = 0; step <= firstReplan; step++) {
      expect(learningRateAt(planner.schedule, step)).toBe(learningRateAt(old.schedule, step));
    }
    expect(lrs[0]).toBe(learningRateAt(old.schedule, 1000));
  });

  it('keeps the step count when the change is timing noise, and never ends at once', () => {
    // No margin to hand back as the time left shrinks: the step count stays.
    const planner = new TimeBudgetPlanner({ ...config, margin: 0 }, run);
    const { plan } = simulate({ planner, run, msAt: () => 10, evalMs: 50 });
    expect(plan.replans?.length).toBeGreaterThan(5);
    for (const replan of plan.replans ?? []) {
      expect(replan.totalSteps).toBe(plan.totalSteps);
      expect(describeTimeBudgetReplan(replan)).toMatch(/\(unchanged\)/);
    }
    // The budget is spent by the time of the re-plan: the decay still takes a few steps.
    const late = new TimeBudgetPlanner({ ...config, ms: 2000 }, run);
    const result = simulate({ planner: late, run, msAt: (s) => (s < 40 ? 10 : 1000), evalMs: 0 });
    const replans = result.plan.replans!;
    for (const r of replans) {
      expect(r.totalSteps).toBeGreaterThanOrEqual(
        Math.min(r.plannedAtStep + 5, r.previousTotalSteps),
      );
    }
    expect(replans.some((r) => r.totalSteps === r.plannedAtStep + 5)).toBe(true);
    expect(result.step).toBeLessThan(60);
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
