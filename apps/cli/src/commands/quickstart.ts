import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBrownCorpus } from '@gpt2/corpora';
import { openShards } from '@gpt2/data/node';
import {
  evaluatePerplexity,
  type PerplexityReport,
  type UnigramBaseline,
  unigramBaseline,
} from '@gpt2/eval';
import { generateText } from '@gpt2/sampler';
import { type Tokenizer, trainBpe } from '@gpt2/tokenizer';
import { createNodeCheckpointStore } from '@gpt2/trainer/node';
import { RUN_FILES } from '../checkpoint.js';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { UserError } from '../errors/user-error.js';
import { ensureWritableDirectory, resolvePath } from '../io/files.js';
import { formatDuration } from '../progress/format.js';
import { formatTable } from '../table.js';
import { saveTokenizer } from '../tokenizer-file.js';
import type { TrainFile } from '../train-config.js';
import { runTraining } from '../train-run.js';
import { datasetChunks } from './eval.js';
import { prepareShards } from './prepare.js';
import type { quickstartSpec } from './specs.js';

/** A quickstart size: model shape, batch, steps, learning rate, tokenizer. */
export interface QuickstartPlan {
  model: { nLayer: number; nHead: number; nEmbd: number; nPositions: number };
  batchSize: number;
  steps: number;
  maxLr: number;
  warmupSteps: number;
  tokenizerVocab: number;
  /** Stop training after this long even if steps remain (keeps the default near 10 minutes); 0: no cap. */
  maxTrainingMs: number;
}

/**
 * The default trains for about 4–5 minutes on 2 idle CPU cores with wasm
 * (0.22 s per step measured for this shape; 2–3× that with other jobs on the
 * machine), with a training-time cap so the whole job stays within 10 minutes
 * on slower machines. `--long` is about an hour (1.2 s per step measured).
 * 2e-3 after warmup: 3e-3 made the loss spike.
 */
export const QUICKSTART_PLANS: Readonly<Record<'default' | 'long', QuickstartPlan>> = {
  default: {
    model: { nLayer: 4, nHead: 4, nEmbd: 128, nPositions: 128 },
    batchSize: 16,
    steps: 1200,
    maxLr: 2e-3,
    warmupSteps: 100,
    tokenizerVocab: 1024,
    maxTrainingMs: 8 * 60_000,
  },
  long: {
    model: { nLayer: 6, nHead: 6, nEmbd: 192, nPositions: 256 },
    batchSize: 16,
    steps: 3000,
    maxLr: 1e-3,
    warmupSteps: 200,
    tokenizerVocab: 2048,
    maxTrainingMs: 0,
  },
};

export const DEFAULT_EVAL_TOKENS = 32_768;

const PROMPTS = ['The jury said', 'It was a', 'In the morning'];

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

async function baselineOf(
  shardsDir: string,
  tokenizer: Tokenizer,
  evalTokens: number,
): Promise<UnigramBaseline> {
  const train = await openShards(shardsDir, { split: 'train' });
  const val = await openShards(shardsDir, { split: 'val' });
  const encoder = new TextEncoder();
  const byteLengths = new Map<number, number>();
  try {
    return await unigramBaseline({
      train,
      val,
      vocabSize: tokenizer.vocabSize,
      maxTokens: evalTokens,
      tokenBytes: (id) => {
        let length = byteLengths.get(id);
        if (length === undefined) {
          length = encoder.encode(tokenizer.decode([id])).length;
          byteLengths.set(id, length);
        }
        return length;
      },
    });
  } finally {
    await Promise.all([train.close(), val.close()]);
  }
}

function step(context: CliContext, index: number, text: string): void {
  context.stderr.write(`\n[${index}/5] ${text}\n`);
}

/** `gpt2 quickstart`: see its spec in specs.ts. */
export async function runQuickstart(
  { values }: ParsedCommand<typeof quickstartSpec>,
  context: CliContext,
): Promise<void> {
  const started = performance.now();
  const base = QUICKSTART_PLANS[values.long ? 'long' : 'default'];
  const plan: QuickstartPlan = {
    ...base,
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

  step(context, 1, `tokenizer: BPE with ${plan.tokenizerVocab} tokens on the Brown corpus`);
  const documents = (await loadBrownCorpus()).map((d) => d.text);
  const tokenizer = await trainBpe(documents, { vocabSize: plan.tokenizerVocab });
  const tokenizerPath = join(out, RUN_FILES.tokenizer);
  await saveTokenizer(tokenizerPath, tokenizer);
  context.stderr.write(`${tokenizer.name}: ${tokenizer.vocabSize} tokens → ${tokenizerPath}\n`);

  step(context, 2, 'shards: 500 documents, 10% held out for validation');
  const shardsDir = join(out, 'shards');
  await prepareShards(context, {
    sources: [],
    brown: true,
    tokenizer,
    outDir: shardsDir,
    seed: values.seed,
  });

  // The baseline needs only token counts: compute it now so the loss curve can show it.
  const baseline = await baselineOf(shardsDir, tokenizer, evalTokens);
  context.stderr.write(
    `unigram baseline: ${baseline.meanNll.toFixed(3)} nats/token, ${baseline.bitsPerByte.toFixed(3)} bits/byte\n`,
  );

  step(context, 3, `training: ${plan.steps} steps`);
  const file: TrainFile = {
    model: { preset: 'gpt2-tiny', ...plan.model, embdPdrop: 0, attnPdrop: 0, residPdrop: 0 },
    data: { shards: shardsDir, batchSize: plan.batchSize, blockSize: plan.model.nPositions },
    training: {
      maxSteps: plan.steps,
      schedule: {
        type: 'cosine',
        maxLr: plan.maxLr,
        warmupSteps: Math.min(plan.warmupSteps, Math.floor(plan.steps / 10)),
        decaySteps: plan.steps,
      },
      evalInterval: Math.max(1, Math.round(plan.steps / 10)),
      evalBatches: 8,
      // An explicit --steps means "exactly this many"; the cap guards the default only.
      maxTimeMs: values.steps === undefined ? plan.maxTrainingMs : 0,
    },
    out,
    seed: values.seed,
  };
  const run = await runTraining(context, {
    file,
    outDir: out,
    backend: values.backend,
    title: `quickstart: ${plan.model.nLayer} layers, d=${plan.model.nEmbd}, Brown corpus`,
    baseline: { loss: baseline.meanNll, label: 'unigram baseline' },
  });
  try {
    step(context, 4, `evaluation: ${evalTokens} validation tokens`);
    const report: PerplexityReport = await evaluatePerplexity(
      run.model,
      { chunks: datasetChunks(run.valDataset, evalTokens) },
      { tokenizer, batchSize: 8, signal: context.signal },
    );

    step(context, 5, 'samples');
    const samples: Array<{ prompt: string; text: string }> = [];
    for (const [index, prompt] of PROMPTS.entries()) {
      const { text } = await generateText(run.model, tokenizer, prompt, {
        maxNewTokens: 60,
        temperature: 0.8,
        topK: 40,
        seed: values.seed + index,
      });
      samples.push({ prompt, text });
    }

    const seconds = (performance.now() - started) / 1000;
    const summary = {
      seconds,
      backend: run.backend.name,
      steps: run.result.step,
      stopReason: run.result.reason,
      trainingSeconds: run.seconds,
      valLossStart: run.firstValLoss,
      valLossEnd: run.lastValLoss,
      perplexity: report.perplexity,
      bitsPerByte: report.bitsPerByte,
      meanNll: report.meanNll,
      unigram: baseline,
      tokenizer: { name: tokenizer.name, vocabSize: tokenizer.vocabSize },
      model: plan.model,
      checkpoint: run.checkpoint,
      metrics: run.metricsPath,
      lossCurve: run.lossCurvePath,
      samples,
    };
    await writeFile(join(out, 'report.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const f = (value: number | undefined, digits = 3) =>
      value === undefined ? '--' : value.toFixed(digits);
    context.stdout.write('\nResults (validation split of the Brown corpus)\n');
    context.stdout.write(
      formatTable({
        header: ['', 'model', 'unigram baseline'],
        rows: [
          ['loss (nats/token)', f(report.meanNll), f(baseline.meanNll)],
          ['perplexity', f(report.perplexity, 1), f(baseline.perplexity, 1)],
          ['bits per byte', f(report.bitsPerByte), f(baseline.bitsPerByte)],
        ],
        alignRight: [1, 2],
      }),
    );
    context.stdout.write(
      `val loss ${f(run.firstValLoss)} → ${f(run.lastValLoss)} over ${run.result.step} steps on ${run.backend.name} (${formatDuration(run.seconds)} training, ${formatDuration(seconds)} in all)\n`,
    );
    context.stdout.write('\nSamples (temperature 0.8, top-k 40)\n');
    for (const sample of samples) {
      context.stdout.write(`> ${sample.prompt}${sample.text.replace(/\s+/g, ' ')}\n`);
    }
    context.stdout.write(
      [
        '',
        `checkpoint: ${run.checkpoint ?? '(none)'}`,
        `metrics:    ${run.metricsPath}`,
        `loss curve: ${run.lossCurvePath}`,
        `report:     ${join(out, 'report.json')}`,
        '',
        'Next:',
        `  gpt2 sample ${out} --prompt "The jury said" -n 100`,
        `  gpt2 eval ${out} --shards ${shardsDir}`,
        `  gpt2 train --resume ${out} --maxSteps ${plan.steps * 2}`,
        '',
      ].join('\n'),
    );
  } finally {
    run.model.dispose();
    await Promise.all([run.trainDataset.close(), run.valDataset.close()]);
  }
}
