/**
 * `@gpt2/data`: streaming text sources, llm.c token shard format, in-memory token datasets and
 * deterministic, resumable batch samplers. No Node APIs here, so it runs in the browser too; file
 * access, `prepare` and `openShards` live in `@gpt2/data/node`.
 */
export {
  type Batch,
  type BatchSampler,
  type BatchSamplerOptions,
  type BatchSamplerState,
  type BatchSamplerStateV1,
  type BatchSource,
  createBatchSampler,
  DEFAULT_PREFETCH,
  DEFAULT_SAMPLER_SEED,
  DEFAULT_SAMPLING_MODE,
  type SamplingMode,
} from './batch-sampler.js';
export { DataSourceError, type DataSourceErrorReason } from './errors/data-source-error.js';
export { ShardFormatError, type ShardFormatErrorReason } from './errors/shard-format-error.js';
export {
  DEFAULT_PREPARE_SEED,
  DEFAULT_VAL_FRACTION,
  describeSources,
  type InMemoryCorpus,
  type PrepareInMemoryOptions,
  prepareInMemory,
} from './prepare-in-memory.js';
export { createRng, hash32, type Rng, type RngState, shuffleInPlace } from './random/index.js';
export {
  decodeTokens,
  encodeShardHeader,
  encodeTokens,
  hasShardMagic,
  parseShardHeader,
  rawUint16Layout,
  SHARD_HEADER_BYTES,
  SHARD_HEADER_INTS,
  SHARD_MAGIC,
  SHARD_VERSION_UINT16,
  SHARD_VERSION_UINT32,
  type ShardLayout,
  type ShardVersion,
  shardVersionForVocab,
} from './shard-format.js';
export {
  type ByteSource,
  blobSource,
  bytesSource,
  readableStreamSource,
  readStream,
  responseSource,
} from './sources/byte-source.js';
export {
  type DataSource,
  DEFAULT_INVALID_LINES,
  DEFAULT_TEXT_FIELD,
  type FileSystem,
  type InvalidLinePolicy,
  type ReadDocumentsOptions,
  readDocuments,
  type SkippedLine,
  type SourceSpec,
  type TextDocument,
  type TextFormat,
} from './sources/documents.js';
export { splitLines } from './text/lines.js';
export { DEFAULT_PIECE_CHARS, lastSafeSplit, safePieces } from './text/split-points.js';
export {
  DEFAULT_INVALID_UTF8,
  type DecodeUtf8Options,
  decodeUtf8Stream,
  firstInvalidUtf8,
  type InvalidUtf8Policy,
} from './text/utf8.js';
export {
  assertRange,
  type TokenDataset,
  type TokenDatasetFromArrayOptions,
  tokenDatasetFromArray,
} from './token-dataset.js';
export {
  checkSplitOptions,
  type DataTokenizer,
  type DocumentTokenizer,
  documentSeparator,
  ENCODE_ORDINARY,
  encodePiece,
  inProcessTokenizer,
  type PipelineStats,
  runTokenizePipeline,
  type SplitOptions,
  type TextPiece,
  type TokenizedPiece,
  type TokenizePipelineOptions,
  type TokenSink,
  textPieces,
} from './tokenize-pipeline.js';

/** Package version, kept in step with package.json by changesets. */
export const VERSION = '0.1.0';
