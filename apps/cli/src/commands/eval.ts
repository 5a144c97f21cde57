import { readFile } from 'node:fs/promises';
import { openShards, type ShardDataset } from '@gpt2/data/node';
import {
  type EvalReport,
  evaluateHellaSwag,
  evaluateLambada,
  evaluatePerplexity,
  formatReportTable,
  type ProgressEvent,
  parseHellaSwag,
  parseLambada,
} from '@gpt2/eval';
import { selectBackend } from '../backend.js';
import { loadModel } from '../checkpoint.js';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { UserError } from '../errors/user-error.js';
import { requireDirectory, requireFile, resolvePath } from '../io/files.js';
import { checkRunMemory } from '../memory.js';
import { formatProgressBar } from '../progress/progress-bar.js';
import { ProgressLine } from '../progress/progress-line.js';
import type { evalSpec } from './specs.js';

/** Chunk size for streaming shard tokens into the perplexity evaluation. */
const SHARD_CHUNK_TOKENS = 1 << 16;

/** A dataset's tokens (at most `limit`) as a stream of chunks, for `evaluatePerplexity`. */
export async function* datasetChunks(
  dataset: ShardDataset,
  limit = Number.POSITIVE_INFINITY,
): AsyncGenerator<Int32Array> {
  const end = Math.min(dataset.length, limit);
  for (let start = 0; start < end; start += SHARD_CHUNK_TOKENS) {
    const chunk = new Int32Array(Math.min(SHARD_CHUNK_TOKENS, end - start));
    await dataset.read(start, chunk);
    yield chunk;
  }
}

async function readInput(context: CliContext, file: string, what: string): Promise<string> {
  const path = resolvePath(context, file);
  await requireFile(path, what);
  return readFile(path, 'utf8');
}

/** `gpt2 eval`: see its spec in specs.ts. */
export async function runEval(
  { values, positionals }: ParsedCommand<typeof evalSpec>,
  context: CliContext,
): Promise<void> {
  if (!values.text && !values.shards && !values.lambada && !values.hellaswag) {
    throw new UserError(
      'Nothing to evaluate: give --text FILE, --shards DIR, --lambada FILE or --hellaswag FILE.',
    );
  }
  // Read and parse inputs before the slow model load, so a typo fails fast.
  const text = values.text ? await readInput(context, values.text, 'Text file') : undefined;
  const lambada = values.lambada
    ? parseLambada(await readInput(context, values.lambada, 'LAMBADA file')).slice(0, values.limit)
    : undefined;
  const hellaswag = values.hellaswag
    ? parseHellaSwag(await readInput(context, values.hellaswag, 'HellaSwag file')).slice(
        0,
        values.limit,
      )
    : undefined;
  const shardsDir = values.shards ? resolvePath(context, values.shards) : undefined;
  if (shardsDir) await requireDirectory(shardsDir, 'Shard folder');

  const backend = await selectBackend(values.backend, context);
  const loaded = await loadModel(context, positionals[0]!, {
    tokenizer: values.tokenizer,
    adapter: values.adapter,
  });
  const { model, tokenizer } = loaded;
  try {
    // Scoring reads the logits of every position: [batch, context, vocab].
    checkRunMemory(
      model.config,
      {
        batchSize: values['batch-size'] ?? 1,
        contextLength: Math.min(
          values['context-length'] ?? model.config.nPositions,
          model.config.nPositions,
        ),
        inference: 'logits',
      },
      backend,
    );
  } catch (error) {
    model.dispose();
    throw error;
  }
  const progress = new ProgressLine(context.stderr);
  const onProgress = (event: ProgressEvent) =>
    progress.update(
      formatProgressBar({
        label: event.task,
        done: event.done,
        total: event.total,
        elapsedSeconds: event.elapsedSeconds,
        noun: event.task === 'perplexity' ? 'windows' : 'examples',
      }),
    );
  const common = {
    onProgress,
    signal: context.signal,
    ...(values['batch-size'] !== undefined ? { batchSize: values['batch-size'] } : {}),
  };
  const perplexityOptions = {
    ...common,
    tokenizer,
    ...(values.stride !== undefined ? { stride: values.stride } : {}),
    ...(values['context-length'] !== undefined ? { contextLength: values['context-length'] } : {}),
  };
  const reports: Array<{ source: string; report: EvalReport }> = [];
  context.catchInterrupts();
  try {
    if (text !== undefined) {
      const tokens = tokenizer.encode(text).slice(0, values['max-tokens']);
      reports.push({
        source: values.text!,
        report: await evaluatePerplexity(model, { tokens }, perplexityOptions),
      });
    }
    if (shardsDir) {
      const dataset = await openShards(shardsDir, { split: values.split as 'val' | 'train' });
      try {
        if (dataset.manifest && dataset.manifest.vocabSize !== tokenizer.vocabSize) {
          throw new UserError(
            `The shards were made with ${dataset.manifest.tokenizerName} (${dataset.manifest.vocabSize} tokens), the model uses ${tokenizer.name} (${tokenizer.vocabSize}).`,
          );
        }
        const report = await evaluatePerplexity(
          model,
          { chunks: datasetChunks(dataset, values['max-tokens']) },
          perplexityOptions,
        );
        reports.push({ source: `${values.shards} (${values.split})`, report });
      } finally {
        await dataset.close();
      }
    }
    if (lambada) {
      reports.push({
        source: values.lambada!,
        report: await evaluateLambada(model, tokenizer, lambada, common),
      });
    }
    if (hellaswag) {
      reports.push({
        source: values.hellaswag!,
        report: await evaluateHellaSwag(model, tokenizer, hellaswag, common),
      });
    }
  } finally {
    progress.done();
    loaded.dispose();
  }
  if (values.json) {
    context.stdout.write(
      `${JSON.stringify(
        reports.map(({ source, report }) => ({ source, ...report })),
        null,
        2,
      )}\n`,
    );
  } else {
    context.stdout.write(`${formatReportTable(reports.map((r) => r.report))}\n`);
  }
}
