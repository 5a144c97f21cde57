import { rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { describeBackend } from '@gpt2/backends';
import { loadBrownCorpus } from '@gpt2/corpora';
import { openShards } from '@gpt2/data/node';
import { createUnigramModel, evaluatePerplexity, type PerplexityReport } from '@gpt2/eval';
import { countParameters } from '@gpt2/model';
import { type GenerateOptions, generateText, type SamplerModel } from '@gpt2/sampler';
import { type Tokenizer, trainBpe } from '@gpt2/tokenizer';
import type { TrainingConfigInput } from '@gpt2/trainer';
import { createNodeCheckpointStore } from '@gpt2/trainer/node';
import { RUN_FILES } from '../checkpoint.js';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { parseDuration } from '../cli/duration.js';
import { UsageError } from '../errors/usage-error.js';
import { UserError } from '../errors/user-error.js';
import { ensureWritableDirectory, resolvePath } from '../io/files.js';
import { writeLossCurveSvg } from '../plot/loss-curve.js';
import { formatDuration } from '../progress/format.js';
import type { QuickstartReport, SamplePair, ScoreSummary } from '../quickstart-report.js';
import { formatTable } from '../table.js';
import { saveTokenizer } from '../tokenizer-file.js';
import type { TrainFile } from '../train-config.js';
import { runTraining } from '../train-run.js';
import { datasetChunks } from './eval.js';
import { prepareShards } from './prepare.js';
import type { quickstartSpec } from './specs.js';

/** A quickstart size: model shape, batch, learning rate, tokenizer, and how long it runs. */
export interface QuickstartPlan {
  model: { nLayer: number; nHead: number; nEmbd: number; nPositions: number };
  batchSize: number;
  /**
   * Wall time of the whole quickstart, tokenizer to samples, in ms: training
   * gets what the other stages leave (see {@link QuickstartPlan.reserveFraction}),
   * and the trainer fits its schedule to that. 0: a fixed step count instead.
   */
  timeMs: number;
  /** Training steps: the most a time budget may plan, or the exact count without one. */
  steps: number;
  maxLr: number;
  warmupSteps: number;
  /** Evaluate (a few validation batches, for the loss curve) every this many steps. */
  evalInterval: number;
  tokenizerVocab: number;
  /** Share of `timeMs` kept for the final evaluation and the samples after training. */
  reserveFraction: number;
}

/**
 * The default fills 8 minutes: on a fresh 2-core machine that, with the
 * install and build, keeps `pnpm start` within 10 minutes, and a faster
 * machine trains more steps in the same time. The shape, batch and peak
 * learning rate were chosen for that budget by bits per byte against the
 * alternatives in docs/results/choosing-the-default.md: on the native
 * backend without OpenBLAS (what a fresh machine with a C compiler runs),
 * 3 layers × 96 beat 3 × 64 and 4 × 128 at the step counts their speeds buy;
 * many small steps (batch 8) beat fewer large ones on every path measured.
 * `--long` is a bigger model for an hour of fixed steps.
 */
export const QUICKSTART_PLANS: Readonly<Record<'default' | 'long', QuickstartPlan>> = {
  default: {
    model: { nLayer: 3, nHead: 3, nEmbd: 96, nPositions: 128 },
    batchSize: 8,
    timeMs: 8 * 60_000,
    steps: 20_000,
    maxLr: 3e-3,
    warmupSteps: 100,
    evalInterval: 250,
    tokenizerVocab: 1024,
    reserveFraction: 0.03,
  },
  long: {
    model: { nLayer: 6, nHead: 6, nEmbd: 192, nPositions: 256 },
    batchSize: 16,
    timeMs: 0,
    steps: 3000,
    maxLr: 1e-3,
    warmupSteps: 200,
    evalInterval: 300,
    tokenizerVocab: 2048,
    reserveFraction: 0,
  },
};

export const DEFAULT_EVAL_TOKENS = 32_768;

/** Less training time than this leaves the planner too few steps to time. */
const MIN_TRAINING_MS = 10_000;

const PROMPTS = ['The jury said', 'It was a', 'In the morning'];
const SAMPLE_OPTIONS = { maxNewTokens: 60, temperature: 0.8, topK: 40 } as const;

/** Files and folders a quickstart writes, removed by `--force`. */
const OUTPUTS = [
  'shards',
  RUN_FILES.checkpoints,
  RUN_FILES.metrics,
  RUN_FILES.lossCurve,
  RUN_FILES.config,
  RUN_FILES.tokenizer,
  'report.json',
];

function step(context: CliContext, index: number, text: string): void {
  context.stderr.write(`\n[${index}/5] ${text}\n`);
}

function summary(report: PerplexityReport): ScoreSummary {
  return {
    meanNll: report.meanNll,
    perplexity: report.perplexity,
    bitsPerByte: report.bitsPerByte ?? Number.NaN,
  };
}

/** The training section: a time budget (its ms set when training starts), or `steps` steps of warmup + cosine. */
function trainingSection(plan: QuickstartPlan, trainingMs: number): TrainingConfigInput {
  const common = { evalInterval: plan.evalInterval, evalBatches: 8 };
  if (plan.timeMs === 0) {
    return {
      ...common,
      maxSteps: plan.steps,
      schedule: {
        type: 'cosine',
        maxLr: plan.maxLr,
        warmupSteps: Math.min(plan.warmupSteps, Math.floor(plan.steps / 10)),
        decaySteps: plan.steps,
      },
    };
  }
  return {
    ...common,
    maxSteps: plan.steps,
    timeBudget: { ms: Math.round(trainingMs), maxLr: plan.maxLr, warmupSteps: plan.warmupSteps },
  };
}

/** `gpt2 quickstart`: see its spec in specs.ts. */
export async function runQuickstart(
  { values }: ParsedCommand<typeof quickstartSpec>,
  context: CliContext,
): Promise<void> {
  const started = performance.now();
  const loadAtStart = loadavg()[0]!;
  const base = QUICKSTART_PLANS[values.long ? 'long' : 'default'];
  if (values.steps !== undefined && values.time !== undefined) {
    throw new UsageError('--steps and --time exclude each other: pick a step count or a time.');
  }
  let timeMs = base.timeMs;
  if (values.time !== undefined) {
    try {
      timeMs = parseDuration(values.time);
    } catch (error) {
      throw new UsageError(`--time: ${(error as Error).message}`);
    }
  }
  const plan: QuickstartPlan = {
    ...base,
    // An explicit --steps means "exactly this many".
    timeMs: values.steps === undefined ? timeMs : 0,
    steps: values.steps ?? base.steps,
    tokenizerVocab: values['tokenizer-vocab'] ?? base.tokenizerVocab,
  };
  const evalTokens = values['eval-tokens'] ?? DEFAULT_EVAL_TOKENS;
  const out = resolvePath(context, values.out);
  await ensureWritableDirectory(out);
  const existing = await createNodeCheckpointStore({
    dir: join(out, RUN_FILES.checkpoints),
  }).list();
  if (existing.length > 0) {
    if (!values.force) {
      throw new UserError(
        `'${out}' already holds a quickstart run: add --force to replace it, or --out another folder (continue training with: gpt2 train --resume ${out}).`,
      );
    }
    for (const name of OUTPUTS) await rm(join(out, name), { recursive: true, force: true });
  }
  const stages = { tokenizer: 0, shards: 0, training: 0, evaluation: 0, samples: 0 };
  let mark = performance.now();
  const endStage = (name: keyof typeof stages) => {
    const now = performance.now();
    stages[name] = (now - mark) / 1000;
    mark = now;
  };

  step(context, 1, `tokenizer: BPE with ${plan.tokenizerVocab} tokens on the Brown corpus`);
  const documents = (await loadBrownCorpus()).map((d) => d.text);
  const tokenizer: Tokenizer = await trainBpe(documents, { vocabSize: plan.tokenizerVocab });
  const tokenizerPath = join(out, RUN_FILES.tokenizer);
  await saveTokenizer(tokenizerPath, tokenizer);
  context.stderr.write(`${tokenizer.name}: ${tokenizer.vocabSize} tokens → ${tokenizerPath}\n`);
  endStage('tokenizer');

  step(context, 2, 'shards: 500 documents, 10% held out for validation');
  const shardsDir = join(out, 'shards');
  await prepareShards(context, {
    sources: [],
    brown: true,
    tokenizer,
    outDir: shardsDir,
    seed: values.seed,
  });
  endStage('shards');

  const trainingMs = plan.timeMs * (1 - plan.reserveFraction) - (performance.now() - started);
  if (plan.timeMs > 0 && trainingMs < MIN_TRAINING_MS) {
    throw new UserError(
      `--time ${formatDuration(plan.timeMs / 1000)} leaves ${formatDuration(Math.max(0, trainingMs) / 1000)} for training after the tokenizer and shards; give it at least ${formatDuration((plan.timeMs - trainingMs + MIN_TRAINING_MS) / 1000)}.`,
    );
  }
  step(
    context,
    3,
    plan.timeMs > 0
      ? `training: ${formatDuration(trainingMs / 1000)} of the ${formatDuration(plan.timeMs / 1000)} budget; the step count is planned from the first steps' speed`
      : `training: ${plan.steps} steps`,
  );
  const file: TrainFile = {
    model: { preset: 'gpt2-tiny', ...plan.model, embdPdrop: 0, attnPdrop: 0, residPdrop: 0 },
    data: { shards: shardsDir, batchSize: plan.batchSize, blockSize: plan.model.nPositions },
    training: trainingSection(plan, trainingMs),
    out,
    seed: values.seed,
  };
  const trainShards = await openShards(shardsDir, { split: 'train' });
  const unigram = await createUnigramModel({
    train: trainShards,
    vocabSize: tokenizer.vocabSize,
    nPositions: plan.model.nPositions,
  }).finally(() => trainShards.close());
  const title = `quickstart: ${plan.model.nLayer} layers, d=${plan.model.nEmbd}, Brown corpus`;
  try {
    const run = await runTraining(context, {
      file,
      outDir: out,
      backend: values.backend,
      title,
      ...(plan.timeMs > 0 ? { trainUntil: performance.now() + trainingMs } : {}),
    });
    endStage('training');
    try {
      step(context, 4, `evaluation: ${evalTokens} validation tokens, model and unigram baseline`);
      const evaluate = (model: Parameters<typeof evaluatePerplexity>[0]) =>
        evaluatePerplexity(
          model,
          { chunks: datasetChunks(run.valDataset, evalTokens) },
          { tokenizer, batchSize: 8, signal: context.signal },
        );
      const report = await evaluate(run.model);
      const baseline = await evaluate(unigram);
      // Redraw the run's loss curve with the baseline from the same measurement as the table.
      await writeLossCurveSvg(run.lossCurvePath, {
        ...run.history,
        title,
        baseline: { loss: baseline.meanNll, label: 'unigram baseline' },
      });
      endStage('evaluation');

      step(context, 5, 'samples: the model and the unigram baseline, same prompts and settings');
      const pairs: SamplePair[] = [];
      for (const [index, prompt] of PROMPTS.entries()) {
        const options: GenerateOptions = { ...SAMPLE_OPTIONS, seed: values.seed + index };
        const sample = async (model: SamplerModel) =>
          (await generateText(model, tokenizer, prompt, options)).text;
        pairs.push({ prompt, model: await sample(run.model), unigram: await sample(unigram) });
      }
      endStage('samples');

      const seconds = (performance.now() - started) / 1000;
      const result: QuickstartReport = {
        format: 'gpt2-quickstart-report',
        version: 2,
        // The GPT2_* settings of the run belong to its command line (GPT2_NATIVE_BLAS=0 gpt2 quickstart).
        command: [
          ...Object.entries(context.env)
            .filter(
              ([key, value]) => key.startsWith('GPT2_') && value !== undefined && value !== '',
            )
            .map(([key, value]) => `${key}=${value}`),
          'gpt2',
          'quickstart',
          ...process.argv.slice(3),
        ].join(' '),
        date: new Date().toISOString(),
        machine: {
          cpu: cpus()[0]?.model.trim() ?? 'unknown',
          cores: cpus().length,
          node: process.version,
          loadAverage: { start: loadAtStart, end: loadavg()[0]! },
        },
        backend: describeBackend(run.backend),
        seconds,
        stages,
        timeBudgetMs: plan.timeMs,
        plan: run.plan ?? null,
        steps: run.result.step,
        stopReason: run.result.reason,
        tokenizer: { name: tokenizer.name, vocabSize: tokenizer.vocabSize },
        model: { ...plan.model, parameters: countParameters(run.config) },
        batchSize: plan.batchSize,
        evaluation: {
          tokens: report.numTokens,
          scored: report.numScored,
          model: summary(report),
          unigram: summary(baseline),
        },
        curve: run.history,
        samples: {
          settings: `temperature ${SAMPLE_OPTIONS.temperature}, top-k ${SAMPLE_OPTIONS.topK}, ${SAMPLE_OPTIONS.maxNewTokens} new tokens, seed ${values.seed} + prompt index`,
          pairs,
        },
        files: {
          checkpoint: run.checkpoint ?? null,
          metrics: run.metricsPath,
          lossCurve: run.lossCurvePath,
        },
      };
      await writeFile(join(out, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
      printResults(context, result, out, shardsDir);
    } finally {
      run.model.dispose();
      await Promise.all([run.trainDataset.close(), run.valDataset.close()]);
    }
  } finally {
    unigram.dispose();
  }
}

function printResults(
  context: CliContext,
  report: QuickstartReport,
  out: string,
  shardsDir: string,
): void {
  const { model, unigram } = report.evaluation;
  const f = (value: number, digits = 3) => value.toFixed(digits);
  context.stdout.write(
    `\nResults: ${report.evaluation.scored} validation tokens of the Brown corpus, scored alike for both\n`,
  );
  context.stdout.write(
    formatTable({
      header: ['', 'model', 'unigram baseline'],
      rows: [
        ['loss (nats/token)', f(model.meanNll), f(unigram.meanNll)],
        ['perplexity', f(model.perplexity, 1), f(unigram.perplexity, 1)],
        ['bits per byte', f(model.bitsPerByte), f(unigram.bitsPerByte)],
      ],
      alignRight: [1, 2],
    }),
  );
  context.stdout.write(
    `${report.steps} steps on ${report.backend.split(' ')[0]} (${formatDuration(report.stages.training)} training, ${formatDuration(report.seconds)} in all)\n`,
  );
  context.stdout.write(`\nSamples (${report.samples.settings})\n`);
  for (const pair of report.samples.pairs) {
    context.stdout.write(`> ${pair.prompt}\n`);
    context.stdout.write(`  model:   ${pair.model.replace(/\s+/g, ' ').trim()}\n`);
    context.stdout.write(`  unigram: ${pair.unigram.replace(/\s+/g, ' ').trim()}\n`);
  }
  context.stdout.write(
    [
      '',
      `checkpoint: ${report.files.checkpoint ?? '(none)'}`,
      `metrics:    ${report.files.metrics}`,
      `loss curve: ${report.files.lossCurve}`,
      `report:     ${join(out, 'report.json')}`,
      '',
      'Next:',
      `  gpt2 sample ${out} --prompt "The jury said" -n 100`,
      `  gpt2 eval ${out} --shards ${shardsDir}`,
      `  gpt2 train --resume ${out} --maxSteps ${report.steps * 2}`,
      '',
    ].join('\n'),
  );
}
