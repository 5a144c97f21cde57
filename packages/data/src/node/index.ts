/**
 * `@gpt2/data/node`: everything in `@gpt2/data`, plus file access, `prepare` (worker threads,
 * llm.c shards) and `openShards`.
 */
export * from '../index.js';
export {
  DEFAULT_READ_CHUNK_BYTES,
  expandPath,
  fileSource,
  globToRegExp,
  nodeFileSystem,
} from './file-system.js';
export { MANIFEST_FILE, readManifest, type ShardManifest, type SplitManifest } from './manifest.js';
export {
  type OpenShardsOptions,
  type OpenTokenFilesOptions,
  openShards,
  openTokenFiles,
  type ShardDataset,
  type Split,
  type TokenFileFormat,
} from './open-shards.js';
export {
  DEFAULT_SHARD_TOKENS,
  DEFAULT_TOKENIZER_MODULE,
  DEFAULT_WORKERS,
  type PrepareOptions,
  prepare,
} from './prepare.js';
export { type ShardInfo, ShardWriter, sha256File, shardFileName } from './shard-writer.js';
export {
  DEFAULT_JOB_CHARS,
  type WorkerTokenizerOptions,
  workerTokenizer,
} from './worker-tokenizer.js';
