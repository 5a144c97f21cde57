import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BackendInfo, measurePeakFlops } from '@gpt2/backends';
import { createBatchSampler } from '@gpt2/data';
import { openShards, type ShardDataset } from '@gpt2/data/node';
import {
  addLora,
  countParameters,
  type GPT2Config,
  GPT2Model,
  type LoraModel,
  resolveConfig,
} from '@gpt2/model';
import { gpt2Tokenizer, type Tokenizer, tokenizerFromJSON } from '@gpt2/tokenizer';
import {
  createLoraWeightsCodec,
  createTrainer,
  describeTimeBudgetPlan,
  describeTimeBudgetReplan,
  type TimeBudgetPlan,
  type TrainerEvent,
  type TrainResult,
} from '@gpt2/trainer';
import { createNodeCheckpointStore } from '@gpt2/trainer/node';
import { selectBackend } from './backend.js';
import { describeLora, loadModel, RUN_FILES } from './checkpoint.js';
import type { CliContext } from './cli/context.js';
import { UserError } from './errors/user-error.js';
import { ensureWritableDirectory, requireDirectory } from './io/files.js';
import { checkRunMemory } from './memory.js';
import { MetricsLog, readLossHistory } from './metrics-log.js';

import { type LossPoint, writeLossCurveSvg } from './plot/loss-curve.js';
import { formatCount, formatDuration } from './progress/format.js';
import { ProgressLine } from './progress/progress-line.js';
import { saveTokenizer } from './tokenizer-file.js';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_TRAIN_SEED,
  loraOptionsFromSection,
  type TrainFile,
} from './train-config.js';

/** Options for {@link runTraining}. */
export interface RunTrainingOptions {
  /** The train file, overrides applied; `data.shards` must be absolute. */
  file: TrainFile;
  /** Absolute run folder. */
  outDir: string;
  /** `--backend` value. */
  backend: string;
  /** Continue the latest checkpoint in `outDir`. */
  resume?: boolean;
  /** Title of the loss-curve picture. Default: the run folder. */
  title?: string;
  /** Dashed reference line on the loss curve (e.g. the unigram baseline). */
  baseline?: { loss: number; label: string };
  /** FLOP/s to compute MFU against. Default: measured with a matMul. */
  peakFlops?: number | undefined;
  /**
   * `performance.now()` by which training should end: the train file's
   * `training.timeBudget.ms` becomes the time left once the backend, data and
   * model are ready. Default: none (the budget as written).
   */
  trainUntil?: number;
}

/** What a finished (or stopped) run produced. */
export interface TrainingRun {
  result: TrainResult;
  backend: BackendInfo;
  /** The trained model (adapters attached for a LoRA run); the caller disposes it and `lora`. */
  model: GPT2Model;
  /** The trained adapters of a LoRA run. */
  lora: LoraModel | undefined;
  tokenizer: Tokenizer;
  config: GPT2Config;
  /** Location of the checkpoint written at the end. */
  checkpoint: string | undefined;
  metricsPath: string;
  lossCurvePath: string;
  /** First and last validation losses seen in this session. */
  firstValLoss: number | undefined;
  lastValLoss: number | undefined;
  /** Training and validation losses by step (earlier sessions of a resumed run included). */
  history: { train: LossPoint[]; val: LossPoint[] };
  /** The time-budget plan with its re-plans, when the run had `training.timeBudget` and made or re-made it in this session. */
  plan: TimeBudgetPlan | undefined;
  /** Validation datasets, for callers that evaluate further; closed by the caller. */
  valDataset: ShardDataset;
  trainDataset: ShardDataset;
  seconds: number;
}

/** The step line: `step 120/500  loss 3.912  val 4.010  lr 6.0e-4  2.1k tok/s  MFU 4.2%  ETA 3m10s`. */
export function formatStepLine(
  event: Extract<TrainerEvent, { type: 'step' }>,
  valLoss: number | undefined,
): string {
  const parts = [
    `step ${event.step}${event.totalSteps !== undefined ? `/${event.totalSteps}` : ''}`,
    `loss ${event.loss.toFixed(3)}`,
    `val ${valLoss === undefined ? '--' : valLoss.toFixed(3)}`,
    `lr ${event.lr.toExponential(1)}`,
    `${formatCount(event.tokensPerSecond)} tok/s`,
  ];
  // Above 100% the peak was measured too low (a busy machine): no figure beats a wrong one.
  if (event.mfu !== undefined && event.mfu <= 1) parts.push(`MFU ${(event.mfu * 100).toFixed(1)}%`);
  parts.push(`ETA ${event.etaMs === undefined ? '--' : formatDuration(event.etaMs / 1000)}`);
  return parts.join('  ');
}

const SHAPE_KEYS = [
  'vocabSize',
  'nPositions',
  'nEmbd',
  'nLayer',
  'nHead',
  'bias',
  'tieWordEmbeddings',
  'positionEmbedding',
] as const;

async function openData(shards: string) {
  await requireDirectory(shards, 'Shard folder');
  const train = await openShards(shards, { split: 'train' });
  const val = await openShards(shards, { split: 'val' });
  const tokenizer = train.manifest
    ? await tokenizerFromJSON(train.manifest.tokenizer)
    : await gpt2Tokenizer();
  return { train, val, tokenizer };
}

/**
 * Build the model, data and trainer from a train file and run it, with a live
 * progress line, a JSONL metrics log and a loss curve refreshed at every
 * evaluation. Ctrl-C (context.signal) stops at the next step and saves.
 */
export async function runTraining(
  context: CliContext,
  options: RunTrainingOptions,
): Promise<TrainingRun> {
  const { file, outDir } = options;
  const shards = file.data?.shards;
  if (!shards) {
    throw new UserError('No training data: set data.shards in the config (or --data.shards DIR).');
  }
  await ensureWritableDirectory(outDir, 'Run folder');
  const store = createNodeCheckpointStore({ dir: join(outDir, RUN_FILES.checkpoints) });
  const existing = await store.list();
  if (options.resume && existing.length === 0) {
    throw new UserError(`Nothing to resume: '${outDir}' holds no checkpoint.`);
  }
  if (!options.resume && existing.length > 0) {
    throw new UserError(
      `'${outDir}' already holds a run: continue it with --resume ${outDir}, or pick another --out.`,
    );
  }
  const backend = await selectBackend(options.backend, context);
  const { train, val, tokenizer } = await openData(shards);
  // The datasets go to the caller with a successful result; close them on any failure.
  let handedOver = false;
  try {
    const seed = file.seed ?? DEFAULT_TRAIN_SEED;

    let model: GPT2Model;
    const modelSection = { ...(file.model ?? {}) } as Record<string, unknown>;
    // A resumed full run gets its weights from the checkpoint; a LoRA run only
    // its adapters, so its frozen base is loaded again from initFrom.
    const initFrom = options.resume && !file.lora ? undefined : file.initFrom;
    if (file.lora && file.initFrom === undefined) {
      throw new UserError(
        'LoRA fine-tunes a trained model: give --init-from MODEL (a checkpoint, run folder or HF GPT-2 folder).',
      );
    }
    if (initFrom !== undefined) {
      const loaded = await loadModel(context, initFrom);
      model = loaded.model;
      for (const key of SHAPE_KEYS) {
        if (key in modelSection && modelSection[key] !== model.config[key]) {
          model.dispose();
          throw new UserError(
            `'${initFrom}' is a checkpoint from another config: model.${key} is ${String(model.config[key])} there, ${String(modelSection[key])} here.`,
          );
        }
      }
      if (loaded.tokenizer.vocabSize !== tokenizer.vocabSize) {
        model.dispose();
        throw new UserError(
          `'${initFrom}' was trained with ${loaded.tokenizer.name} (${loaded.tokenizer.vocabSize} tokens) but the shards use ${tokenizer.name} (${tokenizer.vocabSize}).`,
        );
      }
    } else {
      const config = resolveConfig({
        vocabSize: tokenizer.vocabSize,
        ...modelSection,
      } as Parameters<typeof resolveConfig>[0]);
      model = GPT2Model.create(config, { seed });
    }
    const config = model.config;
    if (config.vocabSize < tokenizer.vocabSize) {
      model.dispose();
      throw new UserError(
        `model.vocabSize ${config.vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize} tokens.`,
      );
    }
    const blockSize = file.data?.blockSize ?? config.nPositions;
    if (blockSize > config.nPositions) {
      model.dispose();
      throw new UserError(
        `data.blockSize ${blockSize} exceeds the model's context (nPositions ${config.nPositions}).`,
      );
    }
    let lora: LoraModel | undefined;
    if (file.lora) {
      try {
        lora = addLora(model, { ...loraOptionsFromSection(file.lora), seed });
      } catch (error) {
        model.dispose();
        if (error instanceof RangeError) throw new UserError(`lora: ${error.message}`);
        throw error;
      }
    }
    const batchSize = file.data?.batchSize ?? DEFAULT_BATCH_SIZE;
    const mode = file.data?.mode;
    const trainSampler = createBatchSampler(train, {
      batchSize,
      blockSize,
      seed,
      ...(mode ? { mode } : {}),
    });
    const valSampler = createBatchSampler(val, { batchSize, blockSize, seed: seed + 1 });
    try {
      // Before the first step: a run that cannot fit fails now, naming the ways out.
      checkRunMemory(
        config,
        {
          batchSize,
          contextLength: blockSize,
          training: true,
          recompute: file.training?.recompute ?? false,
          gradientAccumulationSteps: file.training?.gradientAccumulationSteps ?? 1,
        },
        backend,
      );
    } catch (error) {
      model.dispose();
      throw error;
    }

    const peakFlops = options.peakFlops ?? (await measurePeakFlops());
    // A deadline becomes the time budget now, after the set-up above took its share.
    let training = file.training ?? {};
    if (options.trainUntil !== undefined && training.timeBudget) {
      const ms = Math.max(1, Math.round(options.trainUntil - performance.now()));
      training = { ...training, timeBudget: { ...training.timeBudget, ms } };
    }
    await writeFile(
      join(outDir, RUN_FILES.config),
      `${JSON.stringify({ ...file, training }, null, 2)}\n`,
    );
    await saveTokenizer(join(outDir, RUN_FILES.tokenizer), tokenizer);

    context.stderr.write(
      `model: ${formatCount(countParameters(config))} parameters (${config.nLayer} layers, ${config.nHead} heads, width ${config.nEmbd}, context ${config.nPositions}, vocab ${config.vocabSize}); batch ${batchSize}×${blockSize}; data ${formatCount(train.length)} train / ${formatCount(val.length)} val tokens\n`,
    );
    if (lora) {
      const share = (100 * lora.trainableParameterCount()) / countParameters(config);
      context.stderr.write(
        `training ${describeLora(lora)} (${share.toFixed(2)}% of the model); base frozen: ${initFrom}\n`,
      );
    }

    const metricsPath = join(outDir, RUN_FILES.metrics);
    const lossCurvePath = join(outDir, RUN_FILES.lossCurve);
    const metrics = new MetricsLog(metricsPath);
    const progress = new ProgressLine(context.stderr);
    const history: { train: LossPoint[]; val: LossPoint[] } = { train: [], val: [] };
    let lastVal: number | undefined;
    let firstVal: number | undefined;
    let curveWrite: Promise<void> = Promise.resolve();
    const refreshCurve = () => {
      const snapshot = { train: [...history.train], val: [...history.val] };
      curveWrite = curveWrite.then(() =>
        writeLossCurveSvg(lossCurvePath, {
          ...snapshot,
          title: options.title ?? outDir,
          ...(options.baseline ? { baseline: options.baseline } : {}),
        }),
      );
    };
    let checkpoint: string | undefined;
    let plan: TimeBudgetPlan | undefined;
    const onEvent = (event: TrainerEvent) => {
      metrics.write(event);
      switch (event.type) {
        case 'step':
          history.train.push({ step: event.step, loss: event.loss });
          progress.update(formatStepLine(event, lastVal));
          break;
        case 'eval':
          lastVal = event.valLoss;
          firstVal ??= event.valLoss;
          history.val.push({ step: event.step, loss: event.valLoss });
          progress.log(
            `eval step ${event.step}: val loss ${event.valLoss.toFixed(4)}${event.best ? ' (best)' : ''}`,
          );
          refreshCurve();
          break;
        case 'skip':
          progress.log(
            `step ${event.step} skipped: non-finite loss or gradient (${event.consecutive} in a row)`,
          );
          break;
        case 'plan':
          plan = event.plan;
          progress.log(`plan: ${describeTimeBudgetPlan(event.plan)}`);
          break;
        case 'replan':
          plan = event.plan;
          progress.log(describeTimeBudgetReplan(event.replan));
          break;
        case 'checkpoint':
          checkpoint = event.location;
          break;
        case 'stop':
          progress.done();
          break;
      }
    };

    const trainer = createTrainer({
      model: lora ?? model,
      // A LoRA run's checkpoints are PEFT adapter folders naming their base.
      ...(lora ? { weightsCodec: createLoraWeightsCodec({ baseModelNameOrPath: initFrom }) } : {}),
      train: trainSampler,
      val: valSampler,
      config: training,
      store,
      onEvent,
      signal: context.signal,
      peakFlops,
      tokenizer,
    });
    context.catchInterrupts();
    const start = performance.now();
    try {
      if (options.resume) {
        const name = await trainer.resume();
        context.stderr.write(`resumed from ${store.locate(name!)} at step ${trainer.step}\n`);
        const past = await readLossHistory(metricsPath, trainer.step);
        history.train.push(...past.train);
        history.val.push(...past.val);
        lastVal = past.val.at(-1)?.loss;
      }
      const result = await trainer.run();
      refreshCurve();
      await curveWrite;
      await metrics.flush();
      const seconds = (performance.now() - start) / 1000;
      handedOver = true;
      return {
        result,
        backend,
        model,
        lora,
        tokenizer,
        config,
        checkpoint: result.checkpoint ? store.locate(result.checkpoint) : checkpoint,
        metricsPath,
        lossCurvePath,
        firstValLoss: firstVal,
        lastValLoss: lastVal,
        history,
        plan,
        valDataset: val,
        trainDataset: train,
        seconds,
      };
    } catch (error) {
      progress.done();
      lora?.dispose();
      model.dispose();
      throw error;
    } finally {
      trainer.dispose();
    }
  } finally {
    if (!handedOver) await Promise.all([train.close(), val.close()]);
  }
}

/** Read the train file a run folder saved, for `--resume`. */
export async function readRunConfig(outDir: string): Promise<TrainFile> {
  const path = join(outDir, RUN_FILES.config);
  const text = await readFile(path, 'utf8').catch(() => {
    throw new UserError(`'${outDir}' is not a run folder (no ${RUN_FILES.config}).`);
  });
  return JSON.parse(text) as TrainFile;
}
