import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { ResourceLimits } from 'node:worker_threads';
import {
  DEFAULT_PREPARE_SEED,
  DEFAULT_VAL_FRACTION,
  describeSources,
} from '../prepare-in-memory.js';
import { shardVersionForVocab } from '../shard-format.js';
import { type DataSource, type ReadDocumentsOptions, readDocuments } from '../sources/documents.js';
import { DEFAULT_PIECE_CHARS } from '../text/split-points.js';
import {
  checkSplitOptions,
  type DataTokenizer,
  documentSeparator,
  type PipelineStats,
  runTokenizePipeline,
} from '../tokenize-pipeline.js';
import { inProcessFileTokenizer } from './encode-file.js';
import { nodeFileSystem } from './file-system.js';
import { MANIFEST_FILE, type ShardManifest, writeManifest } from './manifest.js';
import { ShardWriter } from './shard-writer.js';
import { DEFAULT_MAX_FILE_BYTES, workerTokenizer } from './worker-tokenizer.js';

/** Default of {@link PrepareOptions.shardTokens}: llm.c's 100 M tokens per shard. */
export const DEFAULT_SHARD_TOKENS = 100_000_000;
/** Default of {@link PrepareOptions.tokenizerModule}. */
export const DEFAULT_TOKENIZER_MODULE = '@gpt2/tokenizer';
/** Default of {@link PrepareOptions.workers}: one per CPU core. */
export const DEFAULT_WORKERS = (): number => availableParallelism();

/** Options of {@link prepare}. */
export interface PrepareOptions extends Omit<ReadDocumentsOptions, 'fileSystem'> {
  /** Folder for the shards and `manifest.json` (created if missing). Required. */
  outDir: string;
  /** Maximum tokens per shard. Default {@link DEFAULT_SHARD_TOKENS} (100,000,000). */
  shardTokens?: number;
  /** Fraction of documents (by a seeded hash of their index) that go to val. Default 0.1 unless `valDocuments` is given. */
  valFraction?: number;
  /** Exact number of val documents, drawn by seeded reservoir sampling (held in memory). Default unset. */
  valDocuments?: number;
  /** Seed of the train/val split. Default 1337. */
  seed?: number;
  /**
   * Worker threads that tokenize (the main thread reads and writes). `0` tokenizes on the main
   * thread. Shards are byte-identical for every value. Default `os.availableParallelism()`.
   */
  workers?: number;
  /**
   * Module whose `tokenizerFromJSON(json)` export rebuilds the tokenizer inside workers (for a
   * custom tokenizer, a module path or `file:` URL). Default `'@gpt2/tokenizer'`.
   */
  tokenizerModule?: string;
  /** Heap limits of each tokenizer worker (Node's `ResourceLimits`). Default Node's own. */
  workerResourceLimits?: ResourceLimits;
  /** Called with running counts as text is tokenized. Default none. */
  onProgress?: (stats: PipelineStats) => void;
}

/**
 * Tokenize sources into llm.c token shards plus a `manifest.json`, split train/val by document.
 *
 * Sources are streamed (memory stays flat); documents are prefixed with the tokenizer's EOT token;
 * shards are written to temp files and renamed when complete; the manifest is written last.
 *
 * @returns the manifest, with `dir` set to the absolute output folder (pass it to `openShards`).
 * @throws DataSourceError naming the file for a missing file, invalid UTF-8, bad JSONL line or an
 *   empty corpus.
 * @example
 * const manifest = await prepare('corpus/*.txt', await gpt2Tokenizer(), { outDir: 'shards' });
 * const train = await openShards(manifest, { split: 'train' });
 */
export async function prepare(
  sources: DataSource | DataSource[],
  tokenizer: DataTokenizer,
  options: PrepareOptions,
): Promise<ShardManifest> {
  if (typeof options?.outDir !== 'string' || options.outDir === '') {
    throw new TypeError('prepare: options.outDir (the shard folder) is required');
  }
  const shardTokens = options.shardTokens ?? DEFAULT_SHARD_TOKENS;
  if (!Number.isInteger(shardTokens) || shardTokens < 1 || shardTokens > 0x7fffffff) {
    throw new RangeError(
      `prepare: shardTokens must be an integer in [1, 2^31), got ${shardTokens}`,
    );
  }
  const workers = options.workers ?? DEFAULT_WORKERS();
  if (!Number.isInteger(workers) || workers < 0) {
    throw new RangeError(`prepare: workers must be an integer ≥ 0, got ${workers}`);
  }
  const checked = checkSplitOptions(options);
  const split =
    checked.valDocuments !== undefined
      ? { valDocuments: checked.valDocuments }
      : { valFraction: checked.valFraction ?? DEFAULT_VAL_FRACTION };
  const seed = options.seed ?? DEFAULT_PREPARE_SEED;
  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });

  const shardVersion = shardVersionForVocab(tokenizer.vocabSize);
  const train = new ShardWriter(outDir, 'train', shardTokens, shardVersion);
  const val = new ShardWriter(outDir, 'val', shardTokens, shardVersion);
  const separator = documentSeparator(tokenizer);
  let skippedLines = 0;
  const documents = readDocuments(sources, {
    ...options,
    fileSystem: nodeFileSystem,
    onSkippedLine: (skipped) => {
      skippedLines++;
      options.onSkippedLine?.(skipped);
    },
  });
  const tokenize =
    workers === 0
      ? inProcessFileTokenizer(tokenizer, {
          maxFileBytes: DEFAULT_MAX_FILE_BYTES,
          pieceChars: DEFAULT_PIECE_CHARS,
          invalidUtf8: options.invalidUtf8,
        })
      : workerTokenizer({
          workers,
          tokenizerJSON: tokenizer.toJSON(),
          tokenizerModule: options.tokenizerModule ?? DEFAULT_TOKENIZER_MODULE,
          resourceLimits: options.workerResourceLimits,
          invalidUtf8: options.invalidUtf8,
        });

  let stats: PipelineStats;
  try {
    stats = await runTokenizePipeline(documents, {
      tokenize,
      separator,
      split: { ...split, seed },
      train,
      val,
      sourceNames: describeSources(sources),
      onProgress: options.onProgress,
    });
    // Both splits' last writes, syncs and checksums at once; settle both before any abort.
    const finished = await Promise.allSettled([train.finish(), val.finish()]);
    for (const result of finished) if (result.status === 'rejected') throw result.reason;
  } catch (error) {
    await train.abort();
    await val.abort();
    throw error;
  }

  const manifest: ShardManifest = {
    kind: 'gpt2-data.shards',
    version: 1,
    shardVersion,
    tokenizer: tokenizer.toJSON(),
    tokenizerName: tokenizer.name,
    vocabSize: tokenizer.vocabSize,
    separator,
    seed,
    split,
    shardTokens,
    characters: stats.characters,
    skippedLines,
    train: { documents: stats.documents.train, tokens: stats.tokens.train, shards: train.shards },
    val: { documents: stats.documents.val, tokens: stats.tokens.val, shards: val.shards },
  };
  await writeManifest(join(outDir, MANIFEST_FILE), manifest);
  return { ...manifest, dir: outDir };
}
