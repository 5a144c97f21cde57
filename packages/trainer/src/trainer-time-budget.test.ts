import { initBackend } from '@gpt2/backends';
import { beforeAll, describe, expect, it } from 'vitest';
import { BigramModel, createArraySource, patternTokens } from './__fixtures__/fake-model.js';
import { decodeCheckpoint } from './checkpoint/checkpoint-format.js';
import { createMemoryCheckpointStore } from './checkpoint/memory-checkpoint-store.js';
import { resolveTrainingConfig } from './config.js';
import type { PlanEvent, ReplanEvent, StepEvent, TrainerEvent } from './events.js';
import { PARAMETERS_WEIGHTS_CODEC } from './gpt2-weights.js';
import { learningRateAt } from './schedule/learning-rate.js';
import type { TimeBudgetConfig } from './schedule/time-budget.js';
import { createTrainer, type TrainerOptions } from './trainer.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const V = 16;
const stream = patternTokens(5120, V);
const tokens = stream.slice(0, 4096);
const valTokens = stream.slice(4096);

/**
 * A simulated machine: each training batch costs `trainMs` and each
 * validation batch `valMs` of clock time (the first training batches of a
 * session cost more, as compilation does), so the plan is deterministic.
 * From clock time `slowAfterMs` on, a training batch costs `slowTrainMs`; the
 * clock starts at `startMs` (a resumed run's elapsed time).
 */
function simulated(
  trainMs: number,
  valMs: number,
  slowFirst = 3,
  options: { slowAfterMs?: number; slowTrainMs?: number; startMs?: number } = {},
) {
  const { slowAfterMs = Number.POSITIVE_INFINITY, slowTrainMs = trainMs, startMs = 0 } = options;
  const clock = { now: startMs, trainBatches: 0 };
  const train = createArraySource(tokens, 4, 8);
  const val = createArraySource(valTokens, 2, 8);
  const trainNext = train.next.bind(train);
  const valNext = val.next.bind(val);
  train.next = async () => {
    clock.trainBatches++;
    const ms = clock.now >= slowAfterMs ? slowTrainMs : trainMs;
    clock.now += clock.trainBatches <= slowFirst ? ms * 5 : ms;
    return trainNext();
  };
  val.next = async () => {
    clock.now += valMs;
    return valNext();
  };
  const newSession = () => {
    clock.trainBatches = 0;
  };
  return { clock, train, val, newSession, read: () => clock.now };
}

const BUDGET: TimeBudgetConfig = {
  ms: 2000,
  maxLr: 0.05,
  minLr: 0.005,
  warmupSteps: 5,
  measureSteps: 10,
  measureFraction: 0.5,
  margin: 0,
};

function budgeted(
  model: BigramModel,
  machine: ReturnType<typeof simulated>,
  extra: Partial<TrainerOptions> = {},
  config: Record<string, unknown> = {},
) {
  const events: TrainerEvent[] = [];
  const trainer = createTrainer({
    model,
    train: machine.train,
    val: machine.val,
    weightsCodec: PARAMETERS_WEIGHTS_CODEC,
    clock: machine.read,
    onEvent: (e) => events.push(e),
    config: { timeBudget: BUDGET, evalInterval: 20, evalBatches: 2, ...config },
    ...extra,
  });
  return { trainer, events };
}

describe('Trainer with a time budget', () => {
  it('measures, plans the step count, and ends the decay inside the budget', async () => {
    const model = new BigramModel(V, 3);
    const machine = simulated(10, 3);
    const { trainer, events } = budgeted(model, machine);
    const result = await trainer.run();
    const plans = events.filter((e): e is PlanEvent => e.type === 'plan');
    expect(plans).toHaveLength(1);
    const plan = plans[0]!.plan;
    // 3 settle steps (50 ms each) + 10 timed steps at 10 ms, an initial eval of 2 batches.
    expect(plan).toMatchObject({
      plannedAtStep: 13,
      measuredSteps: 10,
      msPerStep: 10,
      msPerEval: 6,
    });
    expect(result.reason).toBe('max-steps');
    expect(result.step).toBe(plan.totalSteps);
    // The whole run, evaluations included, fits the budget and leaves less than one step unused.
    expect(machine.clock.now).toBeLessThanOrEqual(BUDGET.ms);
    expect(machine.clock.now).toBeGreaterThan(BUDGET.ms - 10 - 6);
    expect(plan.estimatedMs).toBe(machine.clock.now);
    // Every step, the ones before the plan too, ran at the lr the recorded schedule gives.
    const steps = events.filter((e): e is StepEvent => e.type === 'step');
    for (const e of steps) expect(e.lr).toBe(learningRateAt(plan.schedule, e.step - 1));
    expect(steps.at(-1)!.lr).toBeLessThan(0.006);
    expect(steps[0]!.totalSteps).toBeUndefined();
    expect(steps.at(-1)!.totalSteps).toBe(plan.totalSteps);
    trainer.dispose();
    model.dispose();
  });

  it('planned once: stores the plan in checkpoints and resumes to the bit', async () => {
    // replanFraction 0: the plan, not the clock, decides the rest of the run.
    const once = { timeBudget: { ...BUDGET, replanFraction: 0 } };
    const straightModel = new BigramModel(V, 3);
    const straight = budgeted(straightModel, simulated(10, 3), {}, once);
    const all = await straight.trainer.run();

    const store = createMemoryCheckpointStore();
    const firstModel = new BigramModel(V, 3);
    const controller = new AbortController();
    const first = budgeted(
      firstModel,
      simulated(10, 3),
      {
        store,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'step' && e.step === 40) controller.abort();
        },
      },
      once,
    );
    const stopped = await first.trainer.run();
    expect(stopped).toMatchObject({ reason: 'aborted', step: 40 });
    const { state } = decodeCheckpoint('mem', await store.read('step-00000040'));
    const plan = (straight.events.find((e) => e.type === 'plan') as PlanEvent).plan;
    expect(state.timeBudget).toEqual(plan);
    expect(state.schedule.config).toEqual(plan.schedule);

    // A slower machine on resume: the plan, not the clock, decides the rest.
    const resumedModel = new BigramModel(V, 99);
    const resumed = budgeted(resumedModel, simulated(50, 20), { store }, once);
    await resumed.trainer.resume();
    const rest = await resumed.trainer.run();
    expect(rest.step).toBe(plan.totalSteps);
    expect([...stopped.losses, ...rest.losses]).toEqual(all.losses);
    expect([...resumedModel.table.dataSync()]).toEqual([...straightModel.table.dataSync()]);
    expect(resumed.events.some((e) => e.type === 'plan')).toBe(false);

    // A new maxSteps on resume continues at the schedule's final learning rate.
    const longer = budgeted(
      new BigramModel(V, 1),
      simulated(10, 3),
      { store },
      {
        ...once,
        maxSteps: plan.totalSteps + 5,
      },
    );
    await longer.trainer.resume();
    const extended = await longer.trainer.run();
    expect(extended.step).toBe(plan.totalSteps + 5);
    const lrs = longer.events.filter((e): e is StepEvent => e.type === 'step').map((e) => e.lr);
    expect(lrs).toEqual(Array(5).fill(0.005));
    for (const t of [straight, first, resumed, longer]) t.trainer.dispose();
    for (const m of [straightModel, firstModel, resumedModel]) m.dispose();
  });

  it('re-plans on a machine that slows down, ends the decay on time, and resumes to the bit', async () => {
    const budget = { ...BUDGET, measureSteps: 5 };
    const slow = { slowAfterMs: 400, slowTrainMs: 15 };
    const straightModel = new BigramModel(V, 3);
    const machine = simulated(10, 3, 3, slow);
    const straight = budgeted(straightModel, machine, {}, { timeBudget: budget });
    const all = await straight.trainer.run();
    // The whole run, evaluations included, fills the budget to about one step (at 8 per eval).
    expect(machine.clock.now).toBeLessThanOrEqual(budget.ms);
    expect(machine.clock.now).toBeGreaterThan(budget.ms - 2 * 15 - 6);
    const plan = (straight.events.filter((e) => e.type === 'replan').at(-1) as ReplanEvent).plan;
    const replans = plan.replans!;
    expect(replans.length).toBeGreaterThanOrEqual(5);
    expect(replans[0]!.totalSteps).toBeLessThan(plan.totalSteps);
    expect(all).toMatchObject({ reason: 'max-steps', step: replans.at(-1)!.totalSteps });
    const steps = straight.events.filter((e): e is StepEvent => e.type === 'step');
    // Every step ran at the lr of the final schedule, and the last one near minLr.
    for (const e of steps) expect(e.lr).toBe(learningRateAt(replans.at(-1)!.schedule, e.step - 1));
    expect(steps.at(-1)!.lr).toBeLessThan(0.0055);

    // Stop at an evaluation step between two re-plans, after the machine slowed down, with room
    // before the next re-plan for the resumed session's settle steps and measured steps.
    const abortAt = [60, 80, 100, 120, 140].find((step) => {
      const before = replans.filter((r) => r.plannedAtStep <= step).at(-1);
      const after = replans.find((r) => r.plannedAtStep > step);
      return before && before.plannedAtMs > 420 && after && after.plannedAtStep >= step + 3 + 5;
    });
    expect(abortAt).toBeDefined();
    const store = createMemoryCheckpointStore();
    const firstModel = new BigramModel(V, 3);
    const controller = new AbortController();
    const first = budgeted(
      firstModel,
      simulated(10, 3, 3, slow),
      {
        store,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'step' && e.step === abortAt) controller.abort();
        },
      },
      { timeBudget: budget },
    );
    const stopped = await first.trainer.run();
    const name = stopped.checkpoint!;
    const { state } = decodeCheckpoint('mem', await store.read(name));
    expect(state.timeBudget?.replans?.length).toBeGreaterThan(0);

    // The same machine, its clock where the checkpoint left it, no compilation this time.
    const resumedModel = new BigramModel(V, 99);
    const resumed = budgeted(
      resumedModel,
      simulated(10, 3, 0, { ...slow, startMs: state.elapsedMs }),
      { store },
      { timeBudget: budget },
    );
    await resumed.trainer.resume();
    const rest = await resumed.trainer.run();
    expect(rest.step).toBe(all.step);
    expect([...stopped.losses, ...rest.losses]).toEqual(all.losses);
    expect([...resumedModel.table.dataSync()]).toEqual([...straightModel.table.dataSync()]);
    const resumedReplans = (resumed.events.filter((e) => e.type === 'replan').at(-1) as ReplanEvent)
      .plan.replans!;
    const fits = (list: typeof replans) => list.map(({ measuredSteps, ...fit }) => fit);
    expect(fits(resumedReplans)).toEqual(fits(replans));
    for (const t of [straight, first, resumed]) t.trainer.dispose();
    for (const m of [straightModel, firstModel, resumedModel]) m.dispose();
  });

  it('maxSteps caps the plan', async () => {
    const model = new BigramModel(V, 3);
    const { trainer, events } = budgeted(model, simulated(10, 3), {}, { maxSteps: 30 });
    const result = await trainer.run();
    const plan = (events.find((e) => e.type === 'plan') as PlanEvent).plan;
    expect(plan).toMatchObject({ totalSteps: 30, limitedBy: 'maxSteps' });
    expect(result.step).toBe(30);
    trainer.dispose();
    model.dispose();
  });

  it('rejects a schedule or epochs beside a time budget', () => {
    expect(() =>
      resolveTrainingConfig({ timeBudget: BUDGET, schedule: { type: 'constant', lr: 1 } }),
    ).toThrow(/timeBudget plans the schedule/);
    expect(() => resolveTrainingConfig({ timeBudget: BUDGET, epochs: 2 })).toThrow(/epochs/);
    expect(() => resolveTrainingConfig({ timeBudget: { ...BUDGET, ms: -1 } })).toThrow(
      /timeBudget\.ms/,
    );
  });
});
