import { dirname } from 'node:path';
import { DEFAULT_TRAINING_CONFIG, timeBudgetFromSchedule } from '@gpt2/trainer';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { parseDuration } from '../cli/duration.js';
import { UsageError } from '../errors/usage-error.js';
import { UserError } from '../errors/user-error.js';
import { readJsonFile, resolvePath } from '../io/files.js';
import { formatDuration } from '../progress/format.js';
import {
  applyOverrides,
  checkTrainFileKeys,
  DEFAULT_RUN_DIR,
  type TrainFile,
} from '../train-config.js';
import { readRunConfig, runTraining } from '../train-run.js';
import type { trainSpec } from './specs.js';

/** `gpt2 train`: see its spec in specs.ts. */
export async function runTrain(
  { values, extra }: ParsedCommand<typeof trainSpec>,
  context: CliContext,
): Promise<void> {
  if (values.resume !== undefined && values['init-from'] !== undefined) {
    throw new UserError(
      '--resume and --init-from exclude each other: a resumed run keeps its weights.',
    );
  }
  let file: TrainFile;
  let baseDir = context.cwd;
  let outDir: string;
  if (values.resume !== undefined) {
    outDir = resolvePath(context, values.resume);
    file = await readRunConfig(outDir);
    if (values.config !== undefined) {
      throw new UserError(
        "--resume reads the run's own config; drop --config (use --key value overrides).",
      );
    }
  } else {
    if (values.config !== undefined) {
      const path = resolvePath(context, values.config);
      file = checkTrainFileKeys(await readJsonFile(path, 'Config file'), path);
      baseDir = dirname(path);
    } else {
      file = {};
    }
    outDir = '';
  }
  file = applyOverrides(file, extra);
  if (values['max-time'] !== undefined) file = withMaxTime(file, values['max-time']);
  // Paths in a config file are relative to the file; on the command line, to the working folder.
  const fromCommandLine = extra.some(([key]) => /(^|\.)shards$/.test(key));
  if (file.data?.shards) {
    file = {
      ...file,
      data: {
        ...file.data,
        shards: resolvePath(
          { ...context, cwd: fromCommandLine ? context.cwd : baseDir },
          file.data.shards,
        ),
      },
    };
  }
  if (values.resume === undefined) {
    outDir =
      values.out !== undefined
        ? resolvePath(context, values.out)
        : file.out !== undefined
          ? resolvePath({ ...context, cwd: baseDir }, file.out)
          : resolvePath(context, DEFAULT_RUN_DIR);
  }
  // Recorded absolute in the run's config: a resumed LoRA run reloads its frozen base from it.
  if (values['init-from'] !== undefined) {
    file = { ...file, initFrom: resolvePath(context, values['init-from']) };
  } else if (file.initFrom !== undefined && values.resume === undefined) {
    file = { ...file, initFrom: resolvePath({ ...context, cwd: baseDir }, file.initFrom) };
  }
  file = { ...file, out: outDir };
  const run = await runTraining(context, {
    file,
    outDir,
    backend: values.backend,
    resume: values.resume !== undefined,
    peakFlops: values['peak-flops'],
  });
  try {
    const { result } = run;
    const summary = [
      `stopped at step ${result.step} (${result.reason}) after ${formatDuration(run.seconds)}`,
      run.firstValLoss !== undefined && run.lastValLoss !== undefined
        ? `val loss ${run.firstValLoss.toFixed(3)} → ${run.lastValLoss.toFixed(3)}`
        : undefined,
    ].filter(Boolean);
    context.stderr.write(`${summary.join('; ')}\n`);
    context.stdout.write(
      [
        `checkpoint: ${run.checkpoint ?? '(none)'}${run.lora ? ' (a PEFT LoRA adapter folder)' : ''}`,
        run.lora
          ? `use it:     gpt2 sample ${file.initFrom} --adapter ${outDir}; merge it: gpt2 convert ${file.initFrom} --adapter ${outDir} --merge --out DIR`
          : undefined,
        `metrics:    ${run.metricsPath}`,
        `loss curve: ${run.lossCurvePath}`,
        result.reason === 'aborted' ? `continue:   gpt2 train --resume ${outDir}` : undefined,
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );
  } finally {
    run.lora?.dispose();
    run.model.dispose();
    await Promise.all([run.trainDataset.close(), run.valDataset.close()]);
  }
}

/**
 * `--max-time`: a `training.timeBudget` of that length. It keeps the peak,
 * floor and warmup of the config's schedule (or of an existing time budget)
 * and replaces the schedule, whose length the plan decides. On `--resume`, a
 * plan the run already made stays as it is (it is in the checkpoint).
 */
export function withMaxTime(file: TrainFile, text: string): TrainFile {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw new UsageError(`--max-time: ${(error as Error).message}`);
  }
  const { schedule, timeBudget, ...training } = file.training ?? {};
  return {
    ...file,
    training: {
      ...training,
      timeBudget: timeBudget
        ? { ...timeBudget, ms }
        : timeBudgetFromSchedule(schedule ?? DEFAULT_TRAINING_CONFIG.schedule, ms),
    },
  };
}
