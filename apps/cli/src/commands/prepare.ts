import { stat } from 'node:fs/promises';
import { loadBrownCorpus } from '@gpt2/corpora';
import type { DataSource } from '@gpt2/data';
import { expandPath, prepare, type ShardManifest } from '@gpt2/data/node';
import type { Tokenizer } from '@gpt2/tokenizer';
import { noteNoBackend } from '../backend.js';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { UserError } from '../errors/user-error.js';
import { ensureWritableDirectory, resolvePath } from '../io/files.js';
import { formatCount, formatDuration } from '../progress/format.js';
import { formatProgressBar } from '../progress/progress-bar.js';
import { ProgressLine } from '../progress/progress-line.js';
import { tokenizerFromArgument } from '../tokenizer-file.js';
import type { prepareSpec } from './specs.js';

/** Options for {@link prepareShards}. */
export interface PrepareShardsOptions {
  /** Paths, folders or globs; or `brown` for the Brown corpus. */
  sources: readonly string[];
  /** Use the Brown corpus (500 documents) instead of files. */
  brown?: boolean;
  tokenizer: Tokenizer;
  /** Absolute output folder. */
  outDir: string;
  /** Fraction of documents for validation; package default when absent. */
  valFraction?: number;
  /** Exact number of validation documents; wins over `valFraction`. */
  valDocuments?: number;
  shardTokens?: number;
  seed?: number;
  workers?: number;
  /** Replace invalid UTF-8 and skip bad JSONL lines instead of failing. */
  lenient?: boolean;
}

/** Expand sources and sum their sizes for the progress bar; one clear line when one is missing. */
async function measureSources(context: CliContext, sources: readonly string[]): Promise<number> {
  let bytes = 0;
  for (const source of sources) {
    const files = await expandPath(resolvePath(context, source)).catch(() => []);
    if (files.length === 0) {
      throw new UserError(`Source '${source}' does not exist or matches no files.`);
    }
    for (const file of files) bytes += (await stat(file)).size;
  }
  return bytes;
}

/**
 * Tokenize sources into shards with `prepare` from @gpt2/data, showing a
 * progress bar (MB/s, ETA) on stderr. Shared by `prepare` and `quickstart`.
 */
export async function prepareShards(
  context: CliContext,
  options: PrepareShardsOptions,
): Promise<ShardManifest> {
  let sources: DataSource[];
  let totalBytes: number;
  if (options.brown) {
    const documents = (await loadBrownCorpus()).map((d) => d.text);
    totalBytes = documents.reduce((sum, d) => sum + d.length, 0);
    sources = [{ documents, name: 'brown' }];
  } else {
    if (options.sources.length === 0) throw new UserError('Give at least one source file.');
    totalBytes = await measureSources(context, options.sources);
    sources = options.sources.map((s) => resolvePath(context, s));
  }
  await ensureWritableDirectory(options.outDir);
  const progress = new ProgressLine(context.stderr);
  const start = performance.now();
  // PipelineStats counts UTF-16 code units, not bytes: equal for ASCII text,
  // close enough for a progress bar otherwise.
  const line = (done: number) =>
    formatProgressBar({
      label: 'prepare',
      done: Math.min(done, totalBytes),
      total: totalBytes,
      elapsedSeconds: (performance.now() - start) / 1000,
      unit: 'bytes',
    });
  const manifest = await prepare(sources, options.tokenizer, {
    outDir: options.outDir,
    ...(options.valDocuments !== undefined
      ? { valDocuments: options.valDocuments }
      : options.valFraction !== undefined
        ? { valFraction: options.valFraction }
        : {}),
    ...(options.shardTokens !== undefined ? { shardTokens: options.shardTokens } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.lenient ? { invalidUtf8: 'replace', invalidLines: 'skip' } : {}),
    onProgress: (stats) => progress.update(line(stats.characters)),
  });
  progress.done(line(manifest.characters));
  const seconds = (performance.now() - start) / 1000;
  context.stderr.write(
    `prepared ${formatCount(manifest.train.tokens)} train tokens (${manifest.train.documents} documents, ${manifest.train.shards.length} shards) and ${formatCount(manifest.val.tokens)} val tokens (${manifest.val.documents} documents) with ${manifest.tokenizerName} in ${formatDuration(seconds)}\n`,
  );
  return manifest;
}

/** `gpt2 prepare`: see its spec in specs.ts. */
export async function runPrepare(
  { values, positionals }: ParsedCommand<typeof prepareSpec>,
  context: CliContext,
): Promise<void> {
  noteNoBackend(values.backend, context);
  if (values.out === undefined) throw new UserError('--out DIR is required.');
  if (!values.brown && positionals.length === 0) {
    throw new UserError('Give the files to prepare, or --brown for the Brown corpus.');
  }
  const tokenizer = await tokenizerFromArgument(context, values.tokenizer);
  const outDir = resolvePath(context, values.out);
  const manifest = await prepareShards(context, {
    sources: positionals,
    brown: values.brown,
    tokenizer,
    outDir,
    ...(values['val-fraction'] !== undefined ? { valFraction: values['val-fraction'] } : {}),
    ...(values['val-documents'] !== undefined ? { valDocuments: values['val-documents'] } : {}),
    ...(values['shard-tokens'] !== undefined ? { shardTokens: values['shard-tokens'] } : {}),
    ...(values.seed !== undefined ? { seed: values.seed } : {}),
    ...(values.workers !== undefined ? { workers: values.workers } : {}),
    lenient: values.lenient,
  });
  context.stdout.write(`${manifest.dir ?? outDir}\n`);
}
