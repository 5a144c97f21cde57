import { loadBrownCorpusText } from '@gpt2/corpora';
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import { evaluatePerplexity } from '@gpt2/eval';
import { type GPT2Config, GPT2Model, resolveConfig } from '@gpt2/model';
import { generateText } from '@gpt2/sampler';
import { gpt2Tokenizer } from '@gpt2/tokenizer';
import { createTrainer } from '@gpt2/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend.js';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { formatCount } from '../progress/format.js';
import { formatTable } from '../table.js';
import { QUICKSTART_PLANS } from './quickstart.js';
import type { benchSpec } from './specs.js';

/** One row of the bench table. */
export interface BenchRow {
  package: string;
  item: string;
  value: number;
  unit: string;
}

/** Median of the timed runs, in seconds, after one untimed warm-up run. */
async function timeMedian(repeat: number, run: () => Promise<void>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    await run();
    times.push((performance.now() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function benchConfig(preset: string, vocabSize: number): GPT2Config {
  if (preset === 'quickstart') {
    return resolveConfig({ preset: 'gpt2-tiny', ...QUICKSTART_PLANS.default.model, vocabSize });
  }
  return resolveConfig({ preset: preset as 'gpt2', vocabSize });
}

/** `gpt2 bench`: see its spec in specs.ts. */
export async function runBench(
  { values }: ParsedCommand<typeof benchSpec>,
  context: CliContext,
): Promise<void> {
  const backend = await selectBackend(values.backend, context);
  const repeat = values.repeat;
  const rows: BenchRow[] = [];
  const note = (row: BenchRow) => {
    rows.push(row);
    context.stderr.write(`  ${row.package} ${row.item}: ${formatCount(row.value)} ${row.unit}\n`);
  };

  const text = (await loadBrownCorpusText()).slice(0, 1_000_000);
  const tokenizer = await gpt2Tokenizer();
  const encodeSeconds = await timeMedian(repeat, async () => {
    tokenizer.encode(text);
  });
  note({
    package: '@gpt2/tokenizer',
    item: 'GPT-2 BPE encode (Brown, 1 MB)',
    value: text.length / 1e6 / encodeSeconds,
    unit: 'MB/s',
  });

  const vocabSize = values.preset === 'gpt2' ? 50257 : 1024;
  const config = benchConfig(values.preset, vocabSize);
  const batchSize = 8;
  const blockSize = Math.min(config.nPositions, 64);
  const model = GPT2Model.create(config, { seed: 1 });
  try {
    const ids = tf.randomUniform([batchSize, blockSize], 0, vocabSize, 'int32') as tf.Tensor2D;
    const forwardSeconds = await timeMedian(repeat, async () => {
      const logits = model.forward(ids);
      await logits.data();
      logits.dispose();
    });
    ids.dispose();
    note({
      package: '@gpt2/model',
      item: `forward ${batchSize}×${blockSize}`,
      value: (batchSize * blockSize) / forwardSeconds,
      unit: 'tokens/s',
    });

    const tokens = new Uint16Array(200_000).map((_, i) => (i * 7919) % vocabSize);
    const dataset = tokenDatasetFromArray(tokens);
    const stepTimes: number[] = [];
    const trainer = createTrainer({
      model,
      train: createBatchSampler(dataset, { batchSize, blockSize, seed: 1 }),
      config: { maxSteps: repeat + 1, evalAtStart: false },
      onEvent: (event) => {
        if (event.type === 'step') stepTimes.push(event.tokens / event.tokensPerSecond);
      },
    });
    await trainer.run();
    trainer.dispose();
    const stepSeconds =
      [...stepTimes.slice(1)].sort((a, b) => a - b)[Math.floor((stepTimes.length - 1) / 2)] ??
      stepTimes[0]!;
    note({
      package: '@gpt2/trainer',
      item: `training step ${batchSize}×${blockSize}`,
      value: stepSeconds * 1000,
      unit: 'ms/step',
    });
    note({
      package: '@gpt2/trainer',
      item: 'training throughput',
      value: (batchSize * blockSize) / stepSeconds,
      unit: 'tokens/s',
    });

    const newTokens = 32;
    const sampleSeconds = await timeMedian(repeat, async () => {
      // Ids below 1024 are valid GPT-2 ids, so the GPT-2 tokenizer decodes them.
      await generateText(model, tokenizer, [1, 2, 3], {
        maxNewTokens: newTokens,
        seed: 1,
        stopTokenIds: [],
      });
    });
    note({
      package: '@gpt2/sampler',
      item: `generate ${newTokens} tokens (KV cache)`,
      value: newTokens / sampleSeconds,
      unit: 'tokens/s',
    });

    const evalTokens = Array.from(tokens.subarray(0, 4 * blockSize * batchSize));
    const evalSeconds = await timeMedian(repeat, async () => {
      await evaluatePerplexity(
        model,
        { tokens: evalTokens },
        { contextLength: blockSize, batchSize },
      );
    });
    note({
      package: '@gpt2/eval',
      item: `perplexity, ${evalTokens.length} tokens`,
      value: evalTokens.length / evalSeconds,
      unit: 'tokens/s',
    });
  } finally {
    model.dispose();
  }
  if (values.json) {
    context.stdout.write(
      `${JSON.stringify({ backend: backend.name, preset: values.preset, rows }, null, 2)}\n`,
    );
    return;
  }
  context.stdout.write(
    formatTable({
      header: ['package', 'item', 'value', 'unit'],
      rows: rows.map((r) => [r.package, r.item, Number(r.value.toPrecision(4)), r.unit]),
    }),
  );
}
